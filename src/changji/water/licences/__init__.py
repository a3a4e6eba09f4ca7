"""取水许可 (water-abstraction licences): their life, their upkeep, imports and exports, expiry and the 无证取水 alarm.

* ``states`` — the licence's state table and the expiry-warning thresholds (pure);
* ``service`` — ``save_licence`` and ``transition_licence``, the only ways a licence changes (audited);
* ``xlsx`` — the one-sheet workbook 「取水许可证」: import (all or nothing) and export (re-imports unchanged);
* ``expiry`` — the daily job's work: warnings 90 and 30 days ahead, expiry, and the 无证取水 alarm;
* ``demo`` — licences for the demo fleet.
"""
