"""Words in other scripts: Thai and Khmer found mid-run, Vietnamese with or without diacritics."""

from fastapi.testclient import TestClient

from app.search.text import index_terms, query_terms, snippet
from tests.search.helpers import Headers, found, hits, law

THAI_TITLE = "พระราชกำหนดการบริหารจัดการการทำงานของคนต่างด้าวและแรงงานข้ามชาติในภาคประมง"
KHMER_TITLE = "ច្បាប់ស្តីពីការងារ"
KHMER_SUMMARY = "អនុក្រឹត្យស្តីពីការគ្រប់គ្រងការបញ្ជូនពលករខ្មែរទៅធ្វើការនៅបរទេស"


def test_a_thai_word_in_the_middle_of_a_title_is_found(
    client: TestClient, admin_headers: Headers
) -> None:
    record_id = law(client, admin_headers, title="Royal Ordinance", title_original=THAI_TITLE)
    law(
        client,
        admin_headers,
        title="Labour Protection Act",
        title_original="พระราชบัญญัติคุ้มครองแรงงาน",
    )

    assert found(client, admin_headers, "ข้ามชาติ") == [record_id]
    assert found(client, admin_headers, "แรงงานข้ามชาติ") == [record_id]
    # The pairs of a word, but not in its order, are not the word.
    assert found(client, admin_headers, "ชาติข้าม") == []
    [hit] = hits(client, admin_headers, "ข้ามชาติ")
    assert "แรงงานข้ามชาติ" in hit["snippet"]


def test_a_khmer_word_in_the_middle_of_a_title_or_summary_is_found(
    client: TestClient, admin_headers: Headers
) -> None:
    record_id = law(
        client,
        admin_headers,
        country="KH",
        title="Labour Law",
        title_original=KHMER_TITLE,
        summary=KHMER_SUMMARY,
    )

    assert found(client, admin_headers, "ការងារ") == [record_id]
    assert found(client, admin_headers, "ពលករខ្មែរ") == [record_id]
    assert found(client, admin_headers, "ពលករថៃ") == []


def test_vietnamese_is_found_with_or_without_its_diacritics(
    client: TestClient, admin_headers: Headers
) -> None:
    with_marks = law(
        client, admin_headers, country="VN", title="Luật Người lao động Việt Nam đi làm việc"
    )
    without = law(client, admin_headers, country="VN", title="Luat lao dong ngoai nuoc")

    assert set(found(client, admin_headers, "lao dong")) == {with_marks, without}
    assert set(found(client, admin_headers, "lao động")) == {with_marks, without}
    assert found(client, admin_headers, "Người lao động") == [with_marks]
    [hit] = hits(client, admin_headers, "nguoi", types="law")
    assert "Người lao động" in hit["snippet"]


def test_text_is_folded_alike_for_the_index_and_for_queries() -> None:
    assert index_terms("Lao Động ĐI") == index_terms("lao dong di") == "lao dong di"
    full_width = "".join(chr(ord(char) + 0xFEE0) for char in "WORKERS")
    assert index_terms(full_width) == "workers"
    assert [term.tokens for term in query_terms("lao động")] == [("lao",), ("dong",)]


def test_an_unspaced_run_is_indexed_as_pairs_of_characters_with_their_marks() -> None:
    # ข้ (a consonant with its tone mark) is one character; a mark never starts a pair.
    assert index_terms("ข้ามชาติ").split() == ["ข้า", "าม", "มช", "ชา", "าติ", "ติ"]
    [term] = query_terms("ข้ามชาติ")
    assert term.tokens == ("ข้า", "าม", "มช", "ชา", "าติ")
    assert not term.prefix
    # One character alone finds the pairs that start with it, or the run's last character.
    [single] = query_terms("法")
    assert single.tokens == ("法",)
    assert single.prefix


def test_a_snippet_is_cut_around_the_first_match_in_the_original_words() -> None:
    text = "Preamble. " * 30 + "The Người lao động law protects workers abroad. " + "Annex. " * 40

    cut = snippet([text], query_terms("nguoi"))

    assert "Người lao động law protects" in cut
    assert cut.startswith("…")
    assert cut.endswith("…")
    assert len(cut) <= 202
