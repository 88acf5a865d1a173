"""The named light levels, brightest first: one definition of their names, order and exposure ranges.

The same names label synthetic captures (what the simulator draws),
converted real captures (``data_prep.sid_sony`` assigns a level from the
exposure ratio) and the rows of every report, so their order is defined
here once: :data:`LEVEL_ORDER` is the order of :data:`LEVELS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class LightLevel:
    """A named light level: ranges of the physical parameters drawn per capture."""

    name: str
    exposure: tuple[float, float]  # exposure ratio k vs. a normal exposure (log-uniform)
    shot_gain: tuple[float, float]  # g: normalized signal per photo-electron (log-uniform)
    description: str

    def electrons_at_white(self) -> tuple[float, float]:
        """Range of photo-electrons a white pixel collects at this level."""
        return self.exposure[0] / self.shot_gain[1], self.exposure[1] / self.shot_gain[0]


LEVELS: dict[str, LightLevel] = {
    level.name: level
    for level in (
        LightLevel("dusk", (1 / 8, 1 / 3), (5e-4, 2e-3), "twilight, a dim room; 1/3-1/8 of a normal exposure"),
        LightLevel("dim", (1 / 20, 1 / 8), (1e-3, 3e-3), "dusk, a lit room seen from outside; 1/8-1/20 of a normal exposure"),
        LightLevel("dark", (1 / 60, 1 / 20), (1.5e-3, 5e-3), "street at night under lamps; 1/20-1/60"),
        LightLevel("night", (1 / 150, 1 / 60), (1.5e-3, 5e-3), "unlit street, moonlight; 1/60-1/150"),
        LightLevel("extreme", (1 / 400, 1 / 150), (1.5e-3, 5e-3), "almost no light; 1/150-1/400"),
    )
}

#: light levels from brightest to darkest, so that reports list them in a meaningful order
LEVEL_ORDER: tuple[str, ...] = tuple(LEVELS)
#: the levels benchmarks use by default (dusk is mostly readable as is)
BENCH_LEVELS: tuple[str, ...] = LEVEL_ORDER[1:]


def order_levels(names: Iterable[str]) -> list[str]:
    """Distinct level names, the known ones brightest first (dusk ... extreme), then any others A-Z."""
    present = set(names)
    return [level for level in LEVEL_ORDER if level in present] + sorted(present - set(LEVEL_ORDER))
