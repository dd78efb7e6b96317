"""spillover.data: import SIPRI, GDELT and COW data into an embedded DuckDB store.

Typical use::

    from spillover import data

    store = data.open_store("arms.duckdb")
    data.import_file(store, "sipri", "trade-register.csv")
    data.import_file(store, "gdelt", "20231001000000.export.CSV.zip")
    series = data.dyad_series(store, "RUS", "KOR", "2023-01-01", "2024-12-31", freq="month")
    data.query("SELECT * FROM sipri_deals WHERE supplier_id = 'PRK'", "arms.duckdb")

See ``docs/data.md`` for the schema and the country-id rules.
"""

from spillover.data.cameo import actor_types, event_codes
from spillover.data.countries import actor_id_from_name, cow_country_ids, resolve_names
from spillover.data.dyad import FREQUENCIES, CoverageWarning, covered_days, dyad_series
from spillover.data.errors import (
    DataError,
    FormatMismatchError,
    ImportRefusedError,
    ReadOnlyQueryError,
    StoreError,
    UnknownActorError,
)
from spillover.data.importer import ImportResult, import_file, import_files
from spillover.data.nmc import CINC_ATOL, CINC_RTOL, cinc_discrepancies, recompute_cinc
from spillover.data.sniff import KINDS, Detected, detect
from spillover.data.store import Store, default_db_path, open_store, query, tables

__all__ = [
    "CINC_ATOL",
    "CINC_RTOL",
    "FREQUENCIES",
    "KINDS",
    "CoverageWarning",
    "DataError",
    "Detected",
    "FormatMismatchError",
    "ImportRefusedError",
    "ImportResult",
    "ReadOnlyQueryError",
    "Store",
    "StoreError",
    "UnknownActorError",
    "actor_id_from_name",
    "actor_types",
    "cinc_discrepancies",
    "covered_days",
    "cow_country_ids",
    "default_db_path",
    "detect",
    "dyad_series",
    "event_codes",
    "import_file",
    "import_files",
    "open_store",
    "query",
    "recompute_cinc",
    "resolve_names",
    "tables",
]
