"""The agent's one tool: a flight search (simulated: prices change from call to call)."""

from __future__ import annotations

import os
from typing import Any

CARRIERS = ("TP", "LH", "AF", "IB")


def search_flights(origin: str, destination: str, date: str) -> list[dict[str, Any]]:
    """Flights from ``origin`` to ``destination`` on ``date``, like a flight API answers."""
    flights = []
    for number, carrier in enumerate(CARRIERS):
        flights.append(
            {
                "flight": f"{carrier} {500 + 17 * number}",
                "origin": origin,
                "destination": destination,
                "date": date,
                "departs": f"{7 + 3 * number:02d}:{os.urandom(1)[0] % 60:02d}",
                "price_eur": 80 + os.urandom(1)[0] % 120,
            }
        )
    return flights
