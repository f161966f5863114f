"""Where a webhook may point: not at the service's own network.

A webhook makes the service send requests to a URL a caller chose; left unchecked, a caller could
reach the loopback interface, the private network or a cloud's metadata endpoint from inside.
Every address the host resolves to is checked, when the URL is registered and again before each
delivery, since what a name resolves to can change; a delivery then connects to an address it
checked, so a name answering differently a moment later (DNS rebinding) gains nothing.
"""

import ipaddress
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from app.core.config import Environment, Settings

# Not private by the standard library's reckoning everywhere, and worth naming for the reader.
CLOUD_METADATA = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)

Resolver = Callable[..., list[tuple[Any, ...]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedAddressError(ValueError):
    """The URL may not be sent to; the message says why, without the address itself."""


def _refused(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    # Not global covers loopback, private, link-local, unspecified, reserved, shared (CGNAT)
    # and documentation ranges; some multicast ranges count as global.
    return address in CLOUD_METADATA or not address.is_global or address.is_multicast


def check_url(url: str, *, settings: Settings, resolve: Resolver | None = None) -> list[IPAddress]:
    """Refuse a URL deliveries may not be sent to, by its scheme and every address it names;
    the addresses checked (none when the settings allow private addresses: nothing is)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise RefusedAddressError("The URL must be http or https.")
    if settings.environment is Environment.production and parts.scheme != "https":
        raise RefusedAddressError("The URL must be https.")
    host = parts.hostname
    if not host:
        raise RefusedAddressError("The URL has no host.")
    if settings.webhook_allow_private_addresses:
        return []
    try:
        found = (resolve or socket.getaddrinfo)(host, parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise RefusedAddressError("The URL's host does not resolve.") from exc
    if not found:
        raise RefusedAddressError("The URL's host does not resolve.")
    # An IPv6 address may carry a zone (fe80::1%eth0).
    addresses = [ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0]) for *_, sockaddr in found]
    if any(_refused(address) for address in addresses):
        raise RefusedAddressError(
            "The URL points at a loopback, private, link-local, multicast, reserved or "
            "metadata address."
        )
    return addresses
