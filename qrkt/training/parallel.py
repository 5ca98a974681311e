"""Data parallelism with JAX's own sharding: over every visible device, and over hosts.

One mesh axis, ``"data"``, spans all devices of all processes. A batch is sharded along it,
parameters and optimizer state are replicated, and ``jax.jit`` inserts the all-reduce of the
gradients. Every process computes the same global batch (the data order is a pure function of
the seed) and places only its own devices' rows, so nothing but gradients crosses hosts.

Several hosts: start the same command on each with ``--coordinator-address HOST:PORT
--num-processes N --process-id I`` (:func:`initialize_distributed`); the work directory must be
on a file system all hosts share, and only process 0 writes to it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from qrkt.errors import TrainingError

logger = logging.getLogger(__name__)

DATA_AXIS = "data"


def initialize_distributed(coordinator_address: str, num_processes: int, process_id: int) -> None:
    """Join a multi-host run (``jax.distributed.initialize``); call before any other JAX use.

    CPU devices of different processes talk over gloo; GPUs over NCCL, as JAX chooses.
    """
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(
        coordinator_address=coordinator_address,
        num_processes=num_processes,
        process_id=process_id,
    )
    logger.info(
        "process %d of %d joined %s: %d devices in all",
        jax.process_index(),
        jax.process_count(),
        coordinator_address,
        jax.device_count(),
    )


def describe_devices(devices: Sequence[jax.Device]) -> str:
    """``devices`` in a few words, counted by kind: ``"4 x gpu (NVIDIA H200)"``, ``"1 x cpu"``."""
    kinds = Counter((device.platform, device.device_kind) for device in devices)
    return ", ".join(
        f"{count} x {platform}" + ("" if kind == platform else f" ({kind})")
        for (platform, kind), count in kinds.items()
    )


@dataclass(frozen=True)
class DataParallel:
    """A one-axis mesh over devices, and how arrays are placed on it."""

    mesh: Mesh

    @classmethod
    def over(cls, devices: Sequence[jax.Device]) -> DataParallel:
        return cls(Mesh(np.array(devices), (DATA_AXIS,)))

    @property
    def device_count(self) -> int:
        return self.mesh.size

    @property
    def is_main_process(self) -> bool:
        """Whether this process writes files (process 0)."""
        return jax.process_index() == 0

    @property
    def replicated(self) -> NamedSharding:
        return NamedSharding(self.mesh, PartitionSpec())

    @property
    def sharded(self) -> NamedSharding:
        """Split along the leading (batch) axis."""
        return NamedSharding(self.mesh, PartitionSpec(DATA_AXIS))

    def check_batch_size(self, batch_size: int) -> None:
        if batch_size % self.device_count:
            raise TrainingError(
                f"batch size {batch_size} does not split over {self.device_count} devices; "
                f"choose a multiple of {self.device_count} (--batch-size), or make fewer "
                "devices visible (e.g. CUDA_VISIBLE_DEVICES)"
            )

    def replicate(self, tree: Any) -> Any:
        """Place a pytree of host arrays, equal on every process, on every device."""
        return jax.tree_util.tree_map(lambda x: self._place(np.asarray(x), self.replicated), tree)

    def shard(self, batch: np.ndarray) -> jax.Array:
        """Place a global batch, equal on every process, split over the devices."""
        return self._place(batch, self.sharded)

    @staticmethod
    def _place(array: np.ndarray, sharding: NamedSharding) -> jax.Array:
        return jax.make_array_from_callback(array.shape, sharding, lambda index: array[index])

    @staticmethod
    def barrier(name: str) -> None:
        """Wait here until every process arrives (no wait with one process)."""
        if jax.process_count() > 1:
            multihost_utils.sync_global_devices(name)

    @staticmethod
    def main_process_says(flag: bool) -> bool:
        """Process 0's ``flag``, on every process: one decision where clocks differ."""
        if jax.process_count() == 1:
            return flag
        return bool(multihost_utils.broadcast_one_to_all(np.asarray(flag)))

    @staticmethod
    def to_host(tree: Any) -> Any:
        """A pytree of global arrays as NumPy arrays, whole, on every process."""
        return multihost_utils.process_allgather(tree, tiled=True)
