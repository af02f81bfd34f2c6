"""API keys as an operator manages them on the database (the `traceability keys` commands):
the organisation named by its id, tax code (MST) or GS1 company prefix; keys issued, listed
and revoked. The HTTP API does the same for the caller's own organisation in the registry.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.errors import InvalidInput, NotFound
from traceability.repositories.organizations import ApiKeyRepository, OrganizationRepository
from traceability.services.access import api_key_roles
from traceability.services.registry import RegistryService, hash_api_key, normalize_tax_code
from traceability.services.registry_records import ApiKeyRecord, OrganizationRecord

LABEL_MAX = 200


@dataclass(frozen=True)
class IssuedApiKey:
    organization: OrganizationRecord
    key: ApiKeyRecord
    api_key: str  # the plaintext, given out this once; only its hash is stored


@dataclass(frozen=True)
class RevokedApiKey:
    organization: OrganizationRecord
    key: ApiKeyRecord
    already_revoked: bool


class ApiKeyAdmin:
    def __init__(self, registry: RegistryService) -> None:
        self.registry = registry

    async def find_organization(self, session: AsyncSession, reference: str) -> OrganizationRecord:
        """The organisation ``reference`` names: its id, tax code or a GS1 company prefix."""
        orgs = OrganizationRepository(session)
        wanted = reference.strip()
        found = {}
        by_id = await orgs.get(wanted)
        if by_id is not None:
            found[by_id.id] = by_id
        else:
            try:
                by_tax = await orgs.by_tax_code(normalize_tax_code(wanted))
            except InvalidInput:
                by_tax = None
            by_prefix = await orgs.by_prefix(wanted) if wanted.isdigit() else None
            found = {row.id: row for row in (by_tax, by_prefix) if row is not None}
        if not found:
            raise NotFound(
                f"no organisation {wanted!r}: give its id, tax code (MST) or GS1 company prefix",
                field="org",
            )
        if len(found) > 1:
            raise InvalidInput(
                f"{wanted!r} is the tax code of one organisation and the GS1 prefix of "
                f"another: give the id ({', '.join(sorted(found))})",
                field="org",
            )
        [row] = found.values()
        return OrganizationRecord.of(row, await orgs.prefixes_of(row.id))

    async def issue(
        self, session: AsyncSession, reference: str, role: str | None, label: str | None
    ) -> IssuedApiKey:
        """A new key for the organisation, with its role unless ``role`` names another it
        may hold; the plaintext is returned once."""
        organization = await self.find_organization(session, reference)
        allowed = api_key_roles(organization.role)
        role = role or organization.role
        if role not in allowed:
            raise InvalidInput(
                f"a key of {organization.name} ({organization.role}) may have the role "
                f"{' or '.join(allowed)}, not {role}",
                field="role",
            )
        if label is not None and len(label) > LABEL_MAX:
            raise InvalidInput(f"at most {LABEL_MAX} characters", field="label")
        plaintext = await self.registry.create_api_key(session, organization.id, role, label)
        row = await ApiKeyRepository(session).by_hash(hash_api_key(plaintext))
        assert row is not None, "the key was stored in this transaction"
        return IssuedApiKey(organization, ApiKeyRecord.of(row), plaintext)

    async def keys_of(
        self, session: AsyncSession, reference: str
    ) -> tuple[OrganizationRecord, list[ApiKeyRecord]]:
        """The organisation and its keys, oldest first (never a secret: only a hint)."""
        organization = await self.find_organization(session, reference)
        rows = await ApiKeyRepository(session).of_organization(organization.id)
        return organization, [ApiKeyRecord.of(row) for row in rows]

    async def revoke(self, session: AsyncSession, key_id: str) -> RevokedApiKey:
        """Revoke the key at once (a key already revoked keeps its first revocation time)."""
        keys = ApiKeyRepository(session)
        row = await keys.get(key_id.strip())
        if row is None:
            raise NotFound(f"no API key {key_id.strip()!r}", field="key_id")
        already = row.revoked_at is not None
        organization_id = row.organization_id
        await self.registry.revoke_api_key(session, organization_id, row.id)
        row = await keys.get(row.id)  # the revocation time, as stored
        assert row is not None
        orgs = OrganizationRepository(session)
        organization = await orgs.get(organization_id)
        assert organization is not None, "a key belongs to an organisation"
        return RevokedApiKey(
            OrganizationRecord.of(organization, await orgs.prefixes_of(organization_id)),
            ApiKeyRecord.of(row),
            already,
        )
