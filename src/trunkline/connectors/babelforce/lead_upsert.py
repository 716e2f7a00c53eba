"""``mode: upsert`` for the Add Outbound Lead template (seed 003).

Before the first lead of a list is sent, the list's existing leads are read (uid → lead id) with the
ordinary source engine, and the hopper of the campaign the list is attached to (the leads the dialer
has loaded to call next). Then, per record:

- a uid not in the list is created (POST, as without upsert), and remembered, so a second record with
  the same uid in the same run updates it instead of creating a duplicate;
- a uid already in the list is updated: ``PUT …/leads/{lead id}`` with the record (a ``data`` key set
  to null deletes that key);
- a uid whose lead sits in the hopper is held back, not sent: the dialer ignores updates to it until it
  has been dialled. The record is kept with that reason so it can be sent again later.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from trunkline.core.config import PagePagination, SourceConfig
from trunkline.core.destination_config import DestinationConfig
from trunkline.rest.destination import PlannedRequest, RecordOutcome
from trunkline.rest.http import HttpClient
from trunkline.rest.source import RestSource

_LISTS = "/api/v2/outbound/lists/"
_PAGE = PagePagination(type="page", page_param="page", size_param="max", size=500,
                       total_pages_path="$.pagination.pages")


class LeadUpsert:
    """The request hook that turns lead creates into updates when the uid exists."""

    def __init__(self, config: DestinationConfig) -> None:
        self.config = config
        self._lead_ids: dict[str, dict[str, str]] = {}
        self._hopper: dict[str, set[str]] = {}

    async def route(self, request: PlannedRequest, client: HttpClient) -> PlannedRequest | list[RecordOutcome]:
        """Create, update or hold one lead."""
        leads_url = request.url.rstrip("/")
        if leads_url not in self._lead_ids:
            await self._load(leads_url, client)
        entry = request.entries[0]
        uid = str(entry.payload.get("uid"))
        lead_id = self._lead_ids[leads_url].get(uid)
        if lead_id is None:
            return request
        if uid in self._hopper[leads_url]:
            reason = (f"lead uid {uid} is in the dialer's hopper: the dialer ignores updates to it until it has "
                      "been dialled; send it again after the hopper batch (seed 003)")
            return [RecordOutcome(entry.source.row, entry.source.data, "held", reason)]
        return replace(request, method="PUT", url=f"{leads_url}/{lead_id}")

    def delivered(self, request: PlannedRequest, body: Any) -> None:
        """Remember the id of a lead just created, so its uid is updated from now on."""
        item = body.get("item") if isinstance(body, dict) else None
        if request.method == "POST" and isinstance(item, dict) and item.get("id"):
            uid = str(request.entries[0].payload.get("uid"))
            self._lead_ids.setdefault(request.url.rstrip("/"), {})[uid] = str(item["id"])

    async def _load(self, leads_url: str, client: HttpClient) -> None:
        base, _, rest = leads_url.partition(_LISTS)
        list_id = rest.split("/", 1)[0]
        known = {str(lead["uid"]): str(lead["id"]) async for lead in _records(leads_url, "$.items[*]", client, _PAGE)
                 if lead.get("uid") is not None}
        hopper: set[str] = set()
        lists = [item async for item in _records(f"{base}{_LISTS}{list_id}", "$.item", client)]
        campaign_id = lists[0].get("campaignId") if lists else None
        if campaign_id:
            hopper = {str(item["uid"]) async for item in
                      _records(f"{base}/api/v2/outbound/campaigns/{campaign_id}/hopper", "$.items[*]", client)
                      if item.get("uid") is not None}
        self._lead_ids[leads_url] = known
        self._hopper[leads_url] = hopper


async def _records(url: str, path: str, client: HttpClient, pagination: PagePagination | None = None) -> Any:
    config = SourceConfig(url=url, path_to_data=path, **({"pagination": pagination} if pagination else {}))
    async for record in RestSource(config, client).records():
        yield record
