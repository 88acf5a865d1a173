"""The U-Net's configuration and the model sizes, without torch.

Declared apart from :mod:`did_ocr.model.unet` so that the command line
(``did-ocr train --size``) offers the sizes without importing torch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class UNetConfig:
    """Architecture of :class:`did_ocr.model.unet.CondUNet`."""

    in_channels: int = 12
    out_channels: int = 3
    base_channels: int = 32
    channel_mults: tuple[int, ...] = (1, 2, 4)
    blocks_per_level: int = 1
    attention_levels: tuple[int, ...] = ()  # indices into channel_mults that get self-attention
    mid_attention: bool = True
    dropout: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "UNetConfig":
        d = dict(d)
        d["channel_mults"] = tuple(d["channel_mults"])
        d["attention_levels"] = tuple(d.get("attention_levels", ()))
        return cls(**d)


PRESETS: dict[str, UNetConfig] = {
    "XS": UNetConfig(base_channels=16, channel_mults=(1, 2, 4), blocks_per_level=1),
    "S": UNetConfig(base_channels=32, channel_mults=(1, 2, 4), blocks_per_level=1),
    "M": UNetConfig(base_channels=64, channel_mults=(1, 2, 4), blocks_per_level=2, attention_levels=(2,)),
    "L": UNetConfig(base_channels=128, channel_mults=(1, 2, 2, 2), blocks_per_level=2, attention_levels=(2, 3)),
}
