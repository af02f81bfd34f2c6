"""The registry API: organisations, keys, locations, products and lots."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from gateway.acting import existing_acting_organization
from gateway.auth import Caller
from gateway.checked_route import CheckedRoute
from gateway.deps import PortalDep, ReadSession, WriteSession
from gateway.errors import API_ERRORS
from gateway.schemas.identifiers import GlnPath, GtinPath, GtinQuery, LotPath
from gateway.schemas.registry import (
    ApiKeyIn,
    ApiKeyOut,
    CreatedApiKeyOut,
    CreatedOrganizationOut,
    LocationIn,
    LocationOut,
    LocationsPage,
    LotIn,
    LotOut,
    LotsPage,
    OrganizationIn,
    OrganizationOut,
    OrganizationsPage,
    ProductIn,
    ProductOut,
    ProductsPage,
    SigningKeyIn,
    SigningKeyOut,
)
from traceability.errors import InvalidInput
from traceability.services.access import acting_organization, require_role

router = APIRouter(
    prefix="/api/v1", tags=["registry"], responses=API_ERRORS, route_class=CheckedRoute
)

PageToken = Annotated[str | None, Query(alias="nextPageToken", description="from the last page")]
PerPage = Annotated[int | None, Query(alias="perPage", ge=1, le=1000)]


@router.post(
    "/organizations",
    status_code=status.HTTP_201_CREATED,
    response_model=CreatedOrganizationOut,
    summary="Create an organisation with its first API key (admins)",
)
async def create_organization(
    body: OrganizationIn, caller: Caller, portal: PortalDep, session: WriteSession
) -> CreatedOrganizationOut:
    require_role(caller, "admin")
    created = await portal.registry.create_organization(session, body.to_new())
    return CreatedOrganizationOut(
        organization=OrganizationOut.of(created.organization),
        api_key=created.api_key,
        signing_key_id=created.signing_key_id,
    )


@router.get("/organizations", response_model=OrganizationsPage, summary="List organisations")
async def list_organizations(
    caller: Caller,
    portal: PortalDep,
    session: ReadSession,
    token: PageToken = None,
    per_page: PerPage = None,
) -> OrganizationsPage:
    page = await portal.reader.organizations(session, caller, token, per_page)
    items = [OrganizationOut.of(record) for record in page.items]
    return OrganizationsPage(items=items, nextPageToken=page.next_token)


@router.get("/organizations/{organization_id}", response_model=OrganizationOut)
async def get_organization(
    organization_id: str, caller: Caller, portal: PortalDep, session: ReadSession
) -> OrganizationOut:
    return OrganizationOut.of(await portal.reader.organization(session, caller, organization_id))


@router.get("/me", summary="Who the API key belongs to")
async def me(caller: Caller) -> dict[str, str]:
    return {"organization_id": caller.organization_id, "role": caller.role}


@router.get("/keys", response_model=list[ApiKeyOut], summary="The caller organisation's API keys")
async def list_api_keys(caller: Caller, portal: PortalDep, session: ReadSession) -> list[ApiKeyOut]:
    return [ApiKeyOut.model_validate(k) for k in await portal.reader.api_keys(session, caller)]


@router.post(
    "/keys",
    status_code=status.HTTP_201_CREATED,
    response_model=CreatedApiKeyOut,
    summary="Create another API key for the caller's organisation (shown once)",
)
async def create_api_key(
    body: ApiKeyIn, caller: Caller, portal: PortalDep, session: WriteSession
) -> CreatedApiKeyOut:
    plaintext = await portal.registry.create_api_key(
        session, caller.organization_id, caller.role, body.label
    )
    return CreatedApiKeyOut(api_key=plaintext)


@router.delete(
    "/keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke an API key at once"
)
async def revoke_api_key(
    key_id: str, caller: Caller, portal: PortalDep, session: WriteSession
) -> Response:
    await portal.registry.revoke_api_key(session, caller.organization_id, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/signing-keys", response_model=list[SigningKeyOut])
async def list_signing_keys(
    caller: Caller, portal: PortalDep, session: ReadSession
) -> list[SigningKeyOut]:
    return [SigningKeyOut.of(k) for k in await portal.reader.signing_keys(session, caller)]


@router.post(
    "/signing-keys",
    status_code=status.HTTP_201_CREATED,
    response_model=SigningKeyOut,
    summary="Register a public key the organisation signs with, or ask the portal to hold one",
)
async def add_signing_key(
    body: SigningKeyIn, caller: Caller, portal: PortalDep, session: WriteSession
) -> SigningKeyOut:
    organization_id = acting_organization(caller, None)
    if body.custody == "portal":
        record = await portal.registry.create_portal_key(session, organization_id)
    else:
        if not body.public_key:
            raise InvalidInput(
                "is required when the organisation keeps the key", field="public_key"
            )
        record = await portal.registry.register_public_key(
            session, organization_id, body.public_key, body.valid_from, body.valid_to
        )
    return SigningKeyOut.of(record)


@router.post(
    "/signing-keys/{key_id}/revoke",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a signing key: events it signed before stay verifiable",
)
async def revoke_signing_key(
    key_id: str, caller: Caller, portal: PortalDep, session: WriteSession
) -> Response:
    await portal.registry.revoke_key(session, acting_organization(caller, None), key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/locations", status_code=status.HTTP_201_CREATED, response_model=LocationOut)
async def create_location(
    body: LocationIn, caller: Caller, portal: PortalDep, session: WriteSession
) -> LocationOut:
    organization_id = await existing_acting_organization(
        portal, session, caller, body.organization_id
    )
    record = await portal.registry.create_location(
        session, organization_id, body.to_new(), any_owner=caller.role == "admin"
    )
    return LocationOut.model_validate(record)


@router.get("/locations", response_model=LocationsPage)
async def list_locations(
    caller: Caller,
    portal: PortalDep,
    session: ReadSession,
    token: PageToken = None,
    per_page: PerPage = None,
) -> LocationsPage:
    page = await portal.reader.locations(session, caller, token, per_page)
    return LocationsPage(
        items=[LocationOut.model_validate(record) for record in page.items],
        nextPageToken=page.next_token,
    )


@router.get("/locations/{gln}", response_model=LocationOut)
async def get_location(
    gln: GlnPath, caller: Caller, portal: PortalDep, session: ReadSession
) -> LocationOut:
    return LocationOut.model_validate(await portal.reader.location(session, caller, gln))


@router.post("/products", status_code=status.HTTP_201_CREATED, response_model=ProductOut)
async def create_product(
    body: ProductIn, caller: Caller, portal: PortalDep, session: WriteSession
) -> ProductOut:
    organization_id = await existing_acting_organization(
        portal, session, caller, body.organization_id
    )
    record = await portal.registry.create_product(
        session, organization_id, body.to_new(), any_owner=caller.role == "admin"
    )
    return ProductOut.model_validate(record)


@router.get("/products", response_model=ProductsPage)
async def list_products(
    caller: Caller,
    portal: PortalDep,
    session: ReadSession,
    token: PageToken = None,
    per_page: PerPage = None,
) -> ProductsPage:
    page = await portal.reader.products(session, caller, token, per_page)
    return ProductsPage(
        items=[ProductOut.model_validate(record) for record in page.items],
        nextPageToken=page.next_token,
    )


@router.get("/products/{gtin}", response_model=ProductOut)
async def get_product(
    gtin: GtinPath, caller: Caller, portal: PortalDep, session: ReadSession
) -> ProductOut:
    return ProductOut.model_validate(await portal.reader.product(session, caller, gtin))


@router.post("/lots", status_code=status.HTTP_201_CREATED, response_model=LotOut)
async def create_lot(
    body: LotIn, caller: Caller, portal: PortalDep, session: WriteSession
) -> LotOut:
    organization_id = await existing_acting_organization(
        portal, session, caller, body.organization_id
    )
    return LotOut.of(await portal.registry.create_lot(session, organization_id, body.to_new()))


@router.get("/lots", response_model=LotsPage)
async def list_lots(
    caller: Caller,
    portal: PortalDep,
    session: ReadSession,
    gtin: GtinQuery = None,
    token: PageToken = None,
    per_page: PerPage = None,
) -> LotsPage:
    page = await portal.reader.lots(session, caller, gtin, token, per_page)
    return LotsPage(
        items=[LotOut.of(record) for record in page.items], nextPageToken=page.next_token
    )


@router.get("/lots/{gtin}/{lot:path}", response_model=LotOut)
async def get_lot(
    gtin: GtinPath, lot: LotPath, caller: Caller, portal: PortalDep, session: ReadSession
) -> LotOut:
    return LotOut.of(await portal.reader.lot(session, caller, gtin, lot))
