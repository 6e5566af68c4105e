"""One process of a two-process FSDP2 run on the CPU (gloo), for tests/training/test_sharding.py.

Run by torch's own launcher: ``python -m torch.distributed.run --nproc-per-node 2 -m
tests.training.sharded_worker MODEL_DIR OUT_DIR``. accelerate never shards on a CPU
(``writer_app.training.sharding``), so this wraps the embedded model with LoRA in torch's
``fully_shard`` itself, per decoder layer and at the root as accelerate's
TRANSFORMER_BASED_WRAP does, and drives the trainer's FSDP helpers on it: the loss, one
optimiser step, the gathered adapter and optimiser state, and the adapter written by the
first process from a whole copy. The first process writes what it saw to OUT_DIR/report.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(model_dir: Path, out_dir: Path) -> None:
    import torch
    import torch.distributed as dist
    from accelerate import Accelerator
    from peft import get_peft_model_state_dict
    from torch.distributed.fsdp import fully_shard
    from torch.distributed.tensor import DTensor

    from tests.training.conftest import tiny_config
    from writer_app.training.chunked_loss import causal_lm_loss, output_weight
    from writer_app.training.model_loading import load_trainable_model
    from writer_app.training.publish import write_adapter
    from writer_app.training.sharding import (
        adapter_state,
        is_sharded,
        load_optimizer_state,
        optimizer_state,
        whole_peft_model,
    )

    torch.manual_seed(0)
    accelerator = Accelerator(cpu=True)  # the process group (gloo), as in the trainer
    rank = accelerator.process_index
    config = tiny_config(dropout=0.0, gradient_checkpointing=False)
    model = load_trainable_model(model_dir, config, cuda=False)
    # LoRA's B starts at zero: give the adapter a known, non-zero value so that gathering it means something.
    with torch.no_grad():
        for name, param in model.named_parameters():
            if param.requires_grad:
                param.copy_(torch.randn(param.shape, generator=torch.Generator().manual_seed(len(name))) * 0.02)
    rows = torch.randint(0, model.config.vocab_size, (2, 32), generator=torch.Generator().manual_seed(1))
    report: dict = {"chunked_before": output_weight(model) is not None}
    plain_loss = float(causal_lm_loss(model, rows))  # unsharded: the chunked loss
    plain_adapter = {k: v.clone() for k, v in get_peft_model_state_dict(model).items()}

    for layer in model.get_base_model().model.layers:
        fully_shard(layer)
    fully_shard(model)
    head = model.get_base_model().lm_head.weight
    report.update(sharded=is_sharded(model), chunked_after=output_weight(model) is not None,
                  head_is_dtensor=isinstance(head, DTensor),
                  head_local_rows=int(head.to_local().shape[0]) if isinstance(head, DTensor) else None,
                  head_rows=int(head.shape[0]))
    try:  # what the chunked loss did before it knew about sharding: the weight read outside the forward
        causal_lm_loss(model, rows, head)
        report["chunked_on_shard"] = "ran"
    except Exception as exc:  # noqa: BLE001 - recorded for the test
        report["chunked_on_shard"] = f"{type(exc).__name__}"

    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-3)
    loss = causal_lm_loss(model, rows)  # the model's own loss, inside FSDP's forward
    report["sharded_loss"], report["plain_loss"] = float(loss), plain_loss
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    with torch.no_grad():
        report["sharded_loss_after_step"] = float(causal_lm_loss(model, rows))

    gathered = adapter_state(model)
    saved_optimizer = optimizer_state(model, optimizer)
    shared = [saved_optimizer]
    dist.broadcast_object_list(shared, src=0)  # as every process reads the same checkpoint file
    fresh = torch.optim.AdamW(trainable, lr=1e-3)
    load_optimizer_state(model, fresh, shared[0])
    mine = [s["exp_avg"].to_local() for s in optimizer.state.values()]
    back = [s["exp_avg"].to_local() for s in fresh.state.values()]
    same_moments = len(mine) == len(back) > 0 and all(torch.equal(a, b) for a, b in zip(mine, back, strict=True))
    flags = torch.tensor([1.0 if same_moments else 0.0])
    dist.all_reduce(flags)
    report["optimizer_round_trip_processes"] = int(flags.item())

    if rank == 0:
        report["gathered_keys_match"] = sorted(gathered) == sorted(plain_adapter)
        report["gathered_shapes_match"] = all(gathered[k].shape == plain_adapter[k].shape for k in plain_adapter)
        report["gathered_changed_by_step"] = any(not torch.equal(gathered[k], plain_adapter[k]) for k in plain_adapter)
        report["optimizer_saved_params"] = len(saved_optimizer.get("state", {}))
    whole = whole_peft_model(model_dir, config, accelerator, False, gathered)
    if rank == 0:
        write_adapter(whole, out_dir / "adapter", {"run_id": "fsdp2-cpu", "name": "fsdp2"})
        report["whole_loss"] = float(causal_lm_loss(whole, rows))
        (out_dir / "report.json").write_text(json.dumps(report, indent=2))
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
