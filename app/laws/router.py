from fastapi import APIRouter

from app.records.http import RecordRoute

router = APIRouter(prefix="/laws", tags=["laws"], route_class=RecordRoute)
