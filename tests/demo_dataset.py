"""The demo's records under the names tests give them: a lot, a place, a chain of the demo.

Everything comes from the demo's data file (traceability.seeding.demo_data); only the two
parties outside the portal (the importer and its container) are keys written here.
"""

from __future__ import annotations

from traceability.identifiers.gs1 import gs1_check_digit
from traceability.seeding.demo_data import load_demo
from traceability.seeding.gs1_keys import event_id, gln
from traceability.seeding.records import DemoEvent, DemoLot

DEMO = load_demo()

ORGANIZATIONS = DEMO.organizations
LOCATIONS = tuple(DEMO.locations.values())
PRODUCTS = tuple(DEMO.products.values())
LOTS = tuple(DEMO.lots.values())
CHAINS = DEMO.chains
EVENTS = DEMO.events
SAMPLE_LINKS = DEMO.sample_links
RICE_EVENTS = DEMO.chain("rice").events
COFFEE_EVENTS = DEMO.chain("coffee").events

RICE_COOP = DEMO.organization("rice_coop")
RICE_MILL = DEMO.organization("rice_mill")
DISTRIBUTOR = DEMO.organization("distributor")
RETAILER = DEMO.organization("retailer")
FISH_PROCESSOR = DEMO.organization("fish_processor")

RICE_FIELDS = DEMO.locations["rice_fields"]
MILL = DEMO.locations["mill"]
DC_HCMC = DEMO.locations["dc_hcmc"]
STORE_HCMC = DEMO.locations["store_hcmc"]
STORE_HANOI = DEMO.locations["store_hanoi"]
ROASTERY = DEMO.locations["roastery"]
COLD_STORE = DEMO.locations["cold_store"]

PADDY = DEMO.products["paddy"]
MILLED_RICE = DEMO.products["milled_rice"]
RICE_5KG = DEMO.products["rice_5kg"]

PADDY_T01 = DEMO.lots["paddy_t01"]
PADDY_T02 = DEMO.lots["paddy_t02"]
MILLED_LOT = DEMO.lots["milled_lot"]
RICE_BAG_LOT = DEMO.lots["rice_bag_lot"]
POND_A3 = DEMO.lots["pond_a3"]
CARTON_LOT = DEMO.lots["carton_lot"]

# The Rotterdam importer the pangasius is shipped to, and the container it travels in.
IMPORTER_GLN = gln("871999", "000004")
_EXPORT_SSCC_BODY = "0" + FISH_PROCESSOR.prefix + "0000457"
EXPORT_SSCC = _EXPORT_SSCC_BODY + gs1_check_digit(_EXPORT_SSCC_BODY)

__all__ = ["DemoEvent", "DemoLot", "event_id"]
