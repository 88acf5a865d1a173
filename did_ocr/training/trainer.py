"""The training loop: multi-scale patch training of the DiD denoiser.

One step: draw pairs (synthetic or a dataset), augment, tail-normalize, cut
multi-scale windows (:mod:`did_ocr.training.batches`), draw EDM noise levels,
take an Adam step on the EDM loss (+ perceptual term), update the EMA.

Everything random in a step comes from generators seeded by (seed, rank,
step), so ``--resume`` continues exactly where a run stopped. Checkpoints are
written atomically every ``checkpoint_every`` steps (and at the end), plus an
inference-only ``model.safetensors`` with the EMA weights and a preview
PNG. Under ``torchrun`` the same loop runs with DistributedDataParallel
(gloo on CPU, NCCL on CUDA); rank 0 logs and writes, every rank gets its own
data stream. A non-finite loss on any rank stops all ranks with a clear
message; the last good checkpoint stays as it was.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from did_ocr.device import resolve_device
from did_ocr.diffusion.conditions import check_network_channels
from did_ocr.errors import CheckpointError, DidOcrError
from did_ocr.model.checkpoint import (build_model, inference_checkpoint, load_model, load_state, prefixed,
                                     read_checkpoint, save_checkpoint, stored_schedule)
from did_ocr.model.tail_norm import TailNorm, fit_tail_norm
from did_ocr.model.unet import UNetConfig
from did_ocr.training.augment import augment_pairs
from did_ocr.training.batches import training_windows
from did_ocr.training.ema import EMA
from did_ocr.training.config import TrainConfig
from did_ocr.training.losses import distillation_goal, edm_loss
from did_ocr.training.pairs import PairSource, build_source


@dataclass
class DistInfo:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0


def init_distributed(device_kind: str) -> DistInfo:
    """Join the process group when launched by torchrun (WORLD_SIZE > 1)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device_kind == "cuda" else "gloo")
    return DistInfo(rank=dist.get_rank(), world=dist.get_world_size(), local_rank=int(os.environ.get("LOCAL_RANK", 0)))


def _resolve_device(name: str, dist: DistInfo) -> torch.device:
    device = resolve_device(name)
    return torch.device("cuda", dist.local_rank) if device.type == "cuda" else device


def make_source(cfg: TrainConfig, rank: int) -> PairSource:
    return build_source(cfg.data, seed=cfg.seed, rank=rank, pool=cfg.pool)


def fit_norm(source: PairSource, cfg: TrainConfig) -> TailNorm:
    """Fit the tail-normalization statistics on ``norm_fit_pairs`` pairs drawn before step 0."""
    darks, lights = [], []
    per_draw = 32
    for i in range(max(1, -(-cfg.norm_fit_pairs // per_draw))):
        d, l = source.pairs(i, min(per_draw, cfg.norm_fit_pairs), stream=1)
        darks.append(d)
        lights.append(l)
    return fit_tail_norm(darks, lights, enabled=cfg.tail_norm)


def resumed_config(path: Path, meta: dict[str, Any], given: TrainConfig) -> TrainConfig:
    """The run configuration stored in the metadata ``meta`` of checkpoint ``path``, with only how long
    (--steps, --cpu-budget) and where (--device, --threads) taken from ``given``."""
    stored = dict(meta.get("train", {}))
    stored.update(steps=given.steps, cpu_budget=given.cpu_budget, device=given.device, threads=given.threads,
                  out=given.out)
    if isinstance(stored.get("data"), str):  # runs from before mixed sources stored one name
        stored["data"] = [stored["data"]]
    try:
        return TrainConfig(**stored)
    except TypeError as exc:
        raise DidOcrError(f"{path}: stored training configuration is not understood ({exc})") from None


def init_unet_config(meta: dict[str, Any]) -> dict[str, Any]:
    """The U-Net configuration in the metadata of a model file given to ``--init`` (it decides the run's size)."""
    return UNetConfig.from_dict(meta["unet"]).to_dict()


def step_generator(seed: int, rank: int, step: int) -> torch.Generator:
    g = torch.Generator()
    g.manual_seed(int(np.random.SeedSequence([seed, rank, step, 7]).generate_state(1, dtype=np.uint64)[0] >> 1))
    return g


class Trainer:
    """Owns the model, optimizer, EMA and data source of one run."""

    def __init__(self, cfg: TrainConfig, resume: bool = False) -> None:
        self.out = Path(cfg.out)
        self.ckpt_path = self.out / "checkpoint.safetensors"
        resuming = resume and self.ckpt_path.exists()
        # the checkpoint resumed from, or the model file given to --init: read once, used for the
        # configuration, the noise schedule and the weights
        start: tuple[Path, dict[str, torch.Tensor], dict[str, Any]] | None = None
        if resuming:
            start = (self.ckpt_path, *read_checkpoint(self.ckpt_path))
            cfg = resumed_config(self.ckpt_path, start[2], cfg)
        elif cfg.init:
            start = (Path(cfg.init), *read_checkpoint(cfg.init))
            cfg = replace(cfg, unet=init_unet_config(start[2]))
        self.cfg = cfg
        self.device = _resolve_device(cfg.device, DistInfo())
        self.dist = init_distributed(self.device.type)
        self.device = _resolve_device(cfg.device, self.dist)
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        self.source = make_source(cfg, self.dist.rank)
        self.step = 0
        self.patches_seen = 0
        self.wall = 0.0
        self.cpu = 0.0  # process CPU seconds spent in training steps: what equal-budget ablations compare
        unet = cfg.unet_config()
        check_network_channels(unet.in_channels)
        with torch.random.fork_rng(devices=[]):  # the initial weights depend on --seed only
            torch.manual_seed(cfg.seed)
            # the noise schedule the weights were trained for (today's defaults for a new run)
            self.model = build_model(unet, stored_schedule(start[2], start[0]) if start else None).to(self.device)
        if self.device.type == "cpu":
            self.model.to(memory_format=torch.channels_last)
        self.optim = torch.optim.Adam(self.model.parameters(), lr=cfg.lr, betas=(0.9, 0.999), eps=1e-8)
        self.ema = EMA(self.model, cfg.ema_halflife)
        self.perceptual = None
        if cfg.perceptual != "none":
            from did_ocr.perceptual import build_perceptual

            self.perceptual = build_perceptual(cfg.perceptual, cfg.perceptual_weights).to(self.device)
        self.recognition, self.words = self._recognition(cfg)
        self.teacher = load_model(cfg.teacher, self.device) if cfg.teacher else None
        if resuming:
            self.norm = self._load(*start)
        else:
            if resume and self.dist.main:
                print(f"no checkpoint in {self.out}; starting a new run", flush=True)
            # a student learns its teacher's outputs, which live in the teacher's normalized space
            self.norm = self.teacher.norm if self.teacher else fit_norm(self.source, cfg)
            if start is not None:
                self._init_weights(start[0], start[1])
        del start
        self._saved_step: int | None = None  # the step of the last checkpoint written
        self.ddp: nn.Module = self.model
        if self.dist.world > 1:
            from torch.nn.parallel import DistributedDataParallel

            self.ddp = DistributedDataParallel(self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None)

    def _recognition(self, cfg: TrainConfig):
        """The recognition loss and its word crops, when ``recognition_weight`` > 0."""
        if cfg.recognition_weight <= 0:
            return None, None
        if not cfg.recognition_data:
            raise DidOcrError("--recognition-weight needs --recognition-data: a folder of word crops (high/) with "
                              "their words in labels.csv, e.g. IIIT 5K's training split")
        if self.dist.world > 1:
            raise DidOcrError("--recognition-weight runs whole cascades outside DistributedDataParallel; "
                              "train with it in a single process")
        from did_ocr.enhancers.did import QUALITIES
        from did_ocr.training.recognition import RecognitionLoss, WordCrops

        if cfg.recognition_quality not in QUALITIES:
            raise DidOcrError(f"unknown recognition_quality {cfg.recognition_quality!r}; choose one of "
                              f"{', '.join(QUALITIES)}")
        loss = RecognitionLoss(QUALITIES[cfg.recognition_quality], cfg.recognition_engine).to(self.device)
        words = WordCrops(cfg.recognition_data, seed=cfg.seed, rank=self.dist.rank, max_height=loss.height)
        return loss, words

    # ---- state -----------------------------------------------------------------------------
    def _meta(self) -> dict[str, Any]:
        return {"unet": self.cfg.unet_config().to_dict(), "precond": self.model.schedule(), "norm": self.norm.to_dict(),
                "step": self.step, "patches_seen": self.patches_seen, "wall_seconds": round(self.wall, 1),
                "cpu_seconds": round(self.cpu, 1), "train": asdict(self.cfg), "data": self.source.describe(), "world_size": self.dist.world,
                # no generator state to store: every random draw of step t comes from SeedSequence(seed, rank, t)
                "rng": "per-step SeedSequence(seed, rank, step)"}

    def save(self, snapshot: bool = False) -> None:
        """Write the training checkpoint and the EMA-only inference model (rank 0 only); ``snapshot``:
        also keep the inference model as OUT/snapshots/model_stepN.safetensors."""
        if not self.dist.main:
            return
        self._saved_step = self.step
        tensors = {f"model.{k}": v for k, v in self.model.state_dict().items()}
        tensors.update({f"ema.{k}": v for k, v in self.ema.module.state_dict().items()})
        optim_state = self.optim.state_dict()
        for idx, state in optim_state["state"].items():
            for key, value in state.items():
                tensors[f"optim.{idx}.{key}"] = torch.as_tensor(value)
        meta = self._meta()
        meta["optim_groups"] = optim_state["param_groups"]
        save_checkpoint(self.ckpt_path, tensors, meta)
        inference = inference_checkpoint(tensors, meta)
        save_checkpoint(self.out / "model.safetensors", *inference)
        if snapshot:
            save_checkpoint(self.out / "snapshots" / f"model_step{self.step}.safetensors", *inference)

    def _load(self, path: Path, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> TailNorm:
        """Restore the state of checkpoint ``path`` (already read: its ``tensors`` and ``meta``)."""
        if UNetConfig.from_dict(meta["unet"]) != self.cfg.unet_config():
            raise CheckpointError(f"{path}: its model configuration differs from the run's config.json; "
                                  "the checkpoint does not belong to this run")
        load_state(self.model, prefixed(tensors, "model"), path)
        load_state(self.ema.module, prefixed(tensors, "ema"), path)
        state: dict[int, dict[str, torch.Tensor]] = {}
        for key, value in prefixed(tensors, "optim").items():
            idx, name = key.split(".", 1)
            state.setdefault(int(idx), {})[name] = value
        try:
            self.optim.load_state_dict({"state": state, "param_groups": meta["optim_groups"]})
        except (KeyError, ValueError) as exc:
            raise DidOcrError(f"{path}: optimizer state does not match the model ({exc})") from None
        self.step = int(meta["step"])
        self.patches_seen = int(meta.get("patches_seen", self.step * self.cfg.batch))
        self.wall = float(meta.get("wall_seconds", 0.0))
        self.cpu = float(meta.get("cpu_seconds", 0.0))
        return TailNorm.from_dict(meta["norm"])

    def _init_weights(self, path: Path, tensors: dict[str, torch.Tensor]) -> None:
        """Start from the weights of model file ``path`` (EMA weights of an inference file, or a checkpoint's)."""
        state = prefixed(tensors, "ema") or prefixed(tensors, "model")
        load_state(self.model, state, path)
        load_state(self.ema.module, state, path)

    # ---- one step ----------------------------------------------------------------------------
    def lr_at(self, step: int) -> float:
        return self.cfg.lr * min(1.0, (step + 1) / max(1, self.cfg.warmup))

    def train_step(self) -> dict[str, float]:
        cfg = self.cfg
        g = step_generator(cfg.seed, self.dist.rank, self.step)
        if cfg.batch % cfg.windows_per_pair:
            raise DidOcrError(f"--batch {cfg.batch} must be a multiple of {cfg.windows_per_pair} (windows per pair)")
        dark, light = self.source.pairs(self.step, cfg.batch // cfg.windows_per_pair)
        dark, light = augment_pairs(dark, light, g)
        dark_n, light_n = self.norm.normalize(dark, "dark"), self.norm.normalize(light, "light")
        target, cond, _ = training_windows(dark_n, light_n, g, cfg.windows_per_pair, detail_bias=cfg.detail_bias)
        sigma = self.model.training_sigmas(cfg.batch, g, onestep_fraction=cfg.onestep_fraction)
        noise = torch.randn(target.shape, generator=g)
        target, cond, sigma, noise = (t.to(self.device) for t in (target, cond, sigma, noise))
        if self.device.type == "cpu":
            target, cond, noise = (t.contiguous(memory_format=torch.channels_last) for t in (target, cond, noise))
        for group in self.optim.param_groups:
            group["lr"] = self.lr_at(self.step)
        loss, parts = self._loss(target, cond, sigma, noise)
        if self.recognition is not None and self.step % cfg.recognition_every == 0:
            crops = self.words.draw(self.step, cfg.recognition_crops)
            rec = self.recognition(self.model, self.norm, crops, seed=self.step)
            loss = loss + cfg.recognition_weight * rec
            parts["recognition"] = float(rec.detach())
        finite = torch.tensor([1.0 if torch.isfinite(loss) else 0.0], device=self.device)
        if self.dist.world > 1:
            import torch.distributed as dist

            dist.all_reduce(finite, op=dist.ReduceOp.MIN)
        if finite.item() < 1:
            raise DidOcrError(f"non-finite loss at step {self.step} (on some rank); training stopped, the last good "
                              f"checkpoint in {self.out} is untouched: resume from it with a lower --lr")
        self.optim.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip:
            nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
        self.optim.step()
        self.step += 1
        self.patches_seen += cfg.batch * self.dist.world
        self.ema.update(self.model, cfg.batch * self.dist.world, self.patches_seen)
        return {"loss": float(loss.detach()), **parts}

    def _loss(self, target: torch.Tensor, cond: torch.Tensor, sigma: torch.Tensor,
              noise: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        cfg = self.cfg
        goal = None
        if self.teacher is not None:
            goal = distillation_goal(self.teacher.model, target, cond, sigma, noise, cfg.teacher_weight)
        if self.perceptual is None or cfg.perceptual_weight <= 0:
            return edm_loss(self.model, target, cond, sigma, noise, goal=goal, denoiser=self.ddp)
        # the perceptual term on the first `fraction` of the batch only (the batch is already random)
        k = max(1, int(round(cfg.batch * cfg.perceptual_fraction)))
        share = k / cfg.batch
        goal_p, goal_r = (None, None) if goal is None else (goal[:k], goal[k:])
        with_p, parts_p = edm_loss(self.model, target[:k], cond[:k], sigma[:k], noise[:k], self.perceptual,
                                   cfg.perceptual_weight, lambda y: self.norm.denormalize(y, "light"), goal=goal_p,
                                   denoiser=self.ddp)
        if k == cfg.batch:
            return with_p, parts_p
        rest, parts_r = edm_loss(self.model, target[k:], cond[k:], sigma[k:], noise[k:], goal=goal_r, denoiser=self.ddp)
        loss = share * with_p + (1 - share) * rest
        parts = {"mse": share * parts_p["mse"] + (1 - share) * parts_r["mse"], "perceptual": parts_p["perceptual"]}
        return loss, parts

    # ---- preview -----------------------------------------------------------------------------
    def preview(self) -> None:
        """A side-by-side PNG (dark | EMA reconstruction | well-lit) of fixed synthetic samples."""
        if not self.dist.main:
            return
        from did_ocr.training.preview import save_preview

        save_preview(self.ema.module, self.norm, self.out / "preview.png", step=self.step, device=self.device)

    # ---- loop --------------------------------------------------------------------------------
    def run(self) -> None:
        from tqdm import tqdm

        cfg = self.cfg
        if self.dist.main:
            self.out.mkdir(parents=True, exist_ok=True)
            (self.out / "config.json").write_text(json.dumps(asdict(cfg), indent=2) + "\n")
        bar = tqdm(total=cfg.steps, initial=self.step, desc="train", unit="step", disable=not self.dist.main,
                   dynamic_ncols=True)
        log = open(self.out / "log.jsonl", "a") if self.dist.main else None
        avg: float | None = None
        recent: dict[str, float] = {}  # the latest value of every loss term, also those computed every N-th step
        try:
            while self.step < cfg.steps and not (cfg.cpu_budget and self.cpu >= cfg.cpu_budget):
                t0, c0 = time.perf_counter(), time.process_time()
                parts = self.train_step()
                recent.update(parts)
                dt = time.perf_counter() - t0
                self.wall += dt
                self.cpu += time.process_time() - c0
                avg = parts["loss"] if avg is None else 0.98 * avg + 0.02 * parts["loss"]
                rate = cfg.batch * self.dist.world / dt
                bar.set_postfix(loss=f"{avg:.4f}", patches_s=f"{rate:.0f}")
                bar.update(1)
                if log is not None and (self.step % 10 == 0 or self.step == cfg.steps):
                    log.write(json.dumps({"step": self.step, **{k: round(v, 5) for k, v in recent.items()},
                                          "loss_avg": round(avg, 5), "patches_per_s": round(rate, 1),
                                          "lr": self.lr_at(self.step - 1), "wall": round(self.wall, 1),
                                          "cpu": round(self.cpu, 1)}) + "\n")
                    log.flush()
                keep = bool(cfg.keep_every) and self.step % cfg.keep_every == 0
                if keep or self.step % cfg.checkpoint_every == 0 or self.step == cfg.steps:
                    self.save(snapshot=keep)  # once, also when a kept step is a checkpoint step
                if cfg.preview_every and (self.step % cfg.preview_every == 0 or self.step == cfg.steps):
                    self.preview()
                self._barrier()
            # stopped by the CPU budget
            if self.step % cfg.checkpoint_every and self.step < cfg.steps and self._saved_step != self.step:
                self.save()
        finally:
            bar.close()
            if log is not None:
                log.close()

    def _barrier(self) -> None:
        if self.dist.world > 1:
            import torch.distributed as dist

            dist.barrier()


def train(cfg: TrainConfig, resume: bool = False) -> Trainer:
    """Train (or resume) a run and return the trainer."""
    trainer = Trainer(cfg, resume=resume)
    if resume and trainer.step >= cfg.steps and trainer.dist.main:
        print(f"{trainer.ckpt_path} is already at step {trainer.step} >= --steps {cfg.steps}; nothing to do", flush=True)
    trainer.run()
    return trainer
