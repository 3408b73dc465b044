#!/usr/bin/env python3
"""Check the numpy reference (exact mode) against transformers' DeepseekV4ForCausalLM.

For each tiny config: write a synthetic checkpoint (tools/ds4-make-checkpoint's code), load it
into transformers (weights decoded here with torch's own float8 dtypes and safetensors' own
reader, independent of ds4ref; and, where it can, through transformers' own FP8/FP4
dequantizing loader, checked against the former), run the cases below in both, report the
agreement, and write golden logits (fp32 .npz) for test/reference/tests/test_golden.py.

Cases (token ids: a fixed random sequence starting with bos = 0):
  prefill-L       fresh prefill of the first L tokens, L in 1,3,4,5,127,128,129,300;
                  logits at every position compared
  chunked         prefill 129 tokens, then 171 more from that partly filled state
  decode          prefill 100, then 48 one-token decode steps (positions 100..147: crosses
                  4-, 16-, 32- and 128-token boundaries and the window)
  decode-batch    the reference decodes two slots at different positions in one batch (the
                  `decode` sequence and a second one prefilled to 37); transformers runs each
                  sequence alone

Needs torch and transformers (>= 5.17); runs on the GPU machine:
    python3 test/reference/transformers_check.py --out OUTDIR
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
import traceback

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, REPO)

import numpy as np  # noqa: E402

from ds4ref import Checkpoint, Model, load_config  # noqa: E402
from ds4ref.checkpoint import INDEX_FILE  # noqa: E402

PREFILL_LENGTHS = (1, 3, 4, 5, 127, 128, 129, 300)
CHUNKS = (129, 171)
DECODE_PREFILL, DECODE_STEPS = 100, 48
SECOND_PREFILL = 37
CHECKPOINT_SEED = 1
TOKEN_SEED = 1248   # chosen so that every top-k and routing choice has a margin >= 2.9e-5 (NOTES.md)


# --- shared with the golden test (no torch needed) ---------------------------------------------

def golden_tokens(vocab_size: int):
    """The two fixed token sequences of the cases: bos (0) then random ids in [2, vocab)."""
    rng = np.random.default_rng(TOKEN_SEED)
    a = rng.integers(2, vocab_size, 400)
    b = rng.integers(2, vocab_size, 400)
    a[0] = b[0] = 0
    return a.astype(np.int64), b.astype(np.int64)


def golden_rows(case: str, n: int) -> np.ndarray:
    """Which positions' logits a golden file keeps for a case with n positions."""
    if case.startswith("prefill") and n <= 5 or case.startswith("decode"):
        return np.arange(n)
    keep = {0, 1, 2, 3, 4, n // 2, n - 3, n - 2, n - 1}
    keep |= set(range(0, n, 10)) | {p for p in (15, 16, 31, 32, 63, 64, 127, 128) if p < n}
    return np.array(sorted(k for k in keep if 0 <= k < n))


def checkpoint_digest(path: str) -> str:
    """sha256 over every tensor's name, dtype, shape and bytes, in name order: identifies the
    checkpoint's content whatever its sharding."""
    ckpt = Checkpoint(path)
    h = hashlib.sha256()
    for name in sorted(ckpt.names()):
        dtype, shape = ckpt.info(name)
        h.update(f"{name}|{dtype}|{list(shape)}|".encode())
        h.update(np.ascontiguousarray(ckpt.raw(name)).tobytes())
    return h.hexdigest()


def run_reference_cases(model: Model, trace=None):
    """All cases on the numpy reference: {case: logits [positions, vocab]}. A trace dict, if
    given, records the prefill-300 and decode-batch cases (for the decision margins)."""
    vocab = model.cfg.vocab_size
    toks, toks2 = golden_tokens(vocab)
    out = {}
    for L in PREFILL_LENGTHS:
        out[f"prefill-{L}"] = model.prefill(model.new_state(), toks[:L],
                                            trace if L == max(PREFILL_LENGTHS) else None)
    st = model.new_state()
    model.prefill(st, toks[:CHUNKS[0]])
    out["chunked"] = model.prefill(st, toks[CHUNKS[0]:sum(CHUNKS)])
    st = model.new_state()
    model.prefill(st, toks[:DECODE_PREFILL])
    out["decode"] = np.stack([model.decode([st], [toks[t]])[0]
                              for t in range(DECODE_PREFILL, DECODE_PREFILL + DECODE_STEPS)])
    # decode-batch: slot 0 continues the `decode` sequence from 100, slot 1 the second
    # sequence from 37; both advance together, each at its own position.
    s0, s1 = model.new_state(), model.new_state()
    model.prefill(s0, toks[:DECODE_PREFILL])
    model.prefill(s1, toks2[:SECOND_PREFILL], trace)
    rows0, rows1 = [], []
    for k in range(DECODE_STEPS):
        lg = model.decode([s0, s1], [toks[DECODE_PREFILL + k], toks2[SECOND_PREFILL + k]], trace)
        rows0.append(lg[0])
        rows1.append(lg[1])
    out["decode-batch-slot0"] = np.stack(rows0)
    out["decode-batch-slot1"] = np.stack(rows1)
    return out


def compare(ref: np.ndarray, oracle: np.ndarray):
    """max |ref - oracle|, and that divided by max |oracle| over the case."""
    err = float(np.max(np.abs(ref.astype(np.float64) - oracle.astype(np.float64))))
    return err, err / float(np.max(np.abs(oracle)))


# --- transformers side -----------------------------------------------------------------------

def released_to_hf(name: str) -> str:
    """Released checkpoint name -> DeepseekV4ForCausalLM state-dict name (experts excluded)."""
    top = {"embed.weight": "model.embed_tokens.weight", "head.weight": "lm_head.weight",
           "norm.weight": "model.norm.weight", "hc_head_fn": "model.hc_head.hc_fn",
           "hc_head_base": "model.hc_head.hc_base", "hc_head_scale": "model.hc_head.hc_scale"}
    if name in top:
        return top[name]
    _, layer, rest = name.split(".", 2)
    table = {
        "attn_norm.weight": "input_layernorm.weight",
        "ffn_norm.weight": "post_attention_layernorm.weight",
        "hc_attn_fn": "attn_hc.fn", "hc_attn_base": "attn_hc.base", "hc_attn_scale": "attn_hc.scale",
        "hc_ffn_fn": "ffn_hc.fn", "hc_ffn_base": "ffn_hc.base", "hc_ffn_scale": "ffn_hc.scale",
        "attn.wq_a.weight": "self_attn.q_a_proj.weight",
        "attn.q_norm.weight": "self_attn.q_a_norm.weight",
        "attn.wq_b.weight": "self_attn.q_b_proj.weight",
        "attn.wkv.weight": "self_attn.kv_proj.weight",
        "attn.kv_norm.weight": "self_attn.kv_norm.weight",
        "attn.wo_a.weight": "self_attn.o_a_proj.weight",
        "attn.wo_b.weight": "self_attn.o_b_proj.weight",
        "attn.attn_sink": "self_attn.sinks",
        "attn.compressor.wkv.weight": "self_attn.compressor.kv_proj.weight",
        "attn.compressor.wgate.weight": "self_attn.compressor.gate_proj.weight",
        "attn.compressor.ape": "self_attn.compressor.position_bias",
        "attn.compressor.norm.weight": "self_attn.compressor.kv_norm.weight",
        "attn.indexer.wq_b.weight": "self_attn.compressor.indexer.q_b_proj.weight",
        "attn.indexer.weights_proj.weight": "self_attn.compressor.indexer.scorer.weights_proj.weight",
        "attn.indexer.compressor.wkv.weight": "self_attn.compressor.indexer.kv_proj.weight",
        "attn.indexer.compressor.wgate.weight": "self_attn.compressor.indexer.gate_proj.weight",
        "attn.indexer.compressor.ape": "self_attn.compressor.indexer.position_bias",
        "attn.indexer.compressor.norm.weight": "self_attn.compressor.indexer.kv_norm.weight",
        "ffn.gate.weight": "mlp.gate.weight",
        "ffn.gate.bias": "mlp.gate.e_score_correction_bias",
        "ffn.gate.tid2eid": "mlp.gate.tid2eid",
        "ffn.shared_experts.w1.weight": "mlp.shared_experts.gate_proj.weight",
        "ffn.shared_experts.w2.weight": "mlp.shared_experts.down_proj.weight",
        "ffn.shared_experts.w3.weight": "mlp.shared_experts.up_proj.weight",
    }
    return f"model.layers.{layer}.{table[rest]}"


def hf_config(cfg):
    from transformers import DeepseekV4Config
    kinds = {"swa": "sliding_attention", "csa": "compressed_sparse_attention",
             "hca": "heavily_compressed_attention"}
    hca = sorted({r for r in cfg.compress_ratios[:cfg.n_layers] if r not in (0, 4)})
    if len(hca) > 1:
        raise ValueError("transformers supports one HCA ratio per model")
    prf = cfg.rope_head_dim / cfg.head_dim
    c = DeepseekV4Config(
        vocab_size=cfg.vocab_size, hidden_size=cfg.dim, moe_intermediate_size=cfg.moe_inter_dim,
        num_hidden_layers=cfg.n_layers, num_attention_heads=cfg.n_heads, num_key_value_heads=1,
        head_dim=cfg.head_dim, q_lora_rank=cfg.q_lora_rank,
        num_experts_per_tok=cfg.n_activated_experts, n_routed_experts=cfg.n_routed_experts,
        n_shared_experts=cfg.n_shared_experts, scoring_func=cfg.score_func,
        routed_scaling_factor=cfg.route_scale, max_position_embeddings=4096,
        rope_theta=cfg.rope_theta, compress_rope_theta=cfg.compress_rope_theta,
        layer_types=[kinds[cfg.layer_kind(i)] for i in range(cfg.n_layers)],
        compress_rates={"compressed_sparse_attention": 4,
                        "heavily_compressed_attention": hca[0] if hca else 128},
        mlp_layer_types=["hash_moe" if cfg.is_hash_layer(i) else "moe" for i in range(cfg.n_layers)],
        hc_mult=cfg.hc_mult, hc_sinkhorn_iters=cfg.hc_sinkhorn_iters, hc_eps=cfg.hc_eps,
        swiglu_limit=cfg.swiglu_limit, sliding_window=cfg.window_size, o_groups=cfg.o_groups,
        o_lora_rank=cfg.o_lora_rank, index_n_heads=cfg.index_n_heads,
        index_head_dim=cfg.index_head_dim, index_topk=cfg.index_topk, rms_norm_eps=cfg.norm_eps,
        partial_rotary_factor=prf, num_nextn_predict_layers=0, tie_word_embeddings=False,
        rope_parameters={
            "main": {"rope_type": "default", "rope_theta": float(cfg.rope_theta),
                     "partial_rotary_factor": prf},
            "compress": {"rope_type": "yarn", "rope_theta": float(cfg.compress_rope_theta),
                         "partial_rotary_factor": prf, "factor": float(cfg.rope_factor),
                         "original_max_position_embeddings": cfg.original_seq_len,
                         "beta_fast": float(cfg.beta_fast), "beta_slow": float(cfg.beta_slow),
                         "attention_factor": 1.0},
        },
    )
    c._attn_implementation = "eager"
    c._experts_implementation = "eager"
    return c


def read_checkpoint_torch(path: str) -> dict:
    """All tensors as torch tensors, through the `safetensors` package's own reader."""
    from safetensors import safe_open
    with open(os.path.join(path, INDEX_FILE)) as fh:
        weight_map = json.load(fh)["weight_map"]
    out = {}
    for shard in sorted(set(weight_map.values())):
        with safe_open(os.path.join(path, shard), framework="pt") as f:
            for k in f.keys():
                out[k] = f.get_tensor(k)
    return out


def dequant_torch(raw: dict) -> dict:
    """Decode with torch's float8_e4m3fn / float8_e8m0fnu / bfloat16 dtypes and the spec's FP4
    table: W = fp8 * 2^(s-127) per 128x128 block; W = e2m1 * 2^(s-127) per 1x32 block."""
    import torch
    fp4 = torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0,
                        -0.0, -0.5, -1.0, -1.5, -2.0, -3.0, -4.0, -6.0], dtype=torch.float64)
    out = {}
    for name, t in raw.items():
        if name.endswith(".scale"):
            continue
        if t.dtype == torch.float8_e4m3fn:
            s = raw[name[:-len(".weight")] + ".scale"].to(torch.float64)
            s = s.repeat_interleave(128, 0).repeat_interleave(128, 1)[:t.shape[0], :t.shape[1]]
            out[name] = (t.to(torch.float64) * s).to(torch.float32)
        elif t.dtype == torch.int8:
            s = raw[name[:-len(".weight")] + ".scale"].to(torch.float64)
            u = t.view(torch.uint8).to(torch.int64)
            codes = torch.stack([u & 0xF, u >> 4], dim=-1).reshape(t.shape[0], -1)
            w = fp4[codes] * s.repeat_interleave(32, 1)
            out[name] = w.to(torch.float32)
        elif t.dtype in (torch.bfloat16, torch.float32):
            out[name] = t.to(torch.float32)
        else:
            out[name] = t.to(torch.int64)
    return out


def hf_state_dict(cfg, w: dict) -> dict:
    import torch
    sd = {}
    for name, t in w.items():
        if ".experts." in name:
            continue
        sd[released_to_hf(name)] = t
    for L in range(cfg.n_layers):
        f = f"layers.{L}.ffn.experts."
        sd[f"model.layers.{L}.mlp.experts.gate_up_proj"] = torch.stack([
            torch.cat([w[f + f"{e}.w1.weight"], w[f + f"{e}.w3.weight"]], dim=0)
            for e in range(cfg.n_routed_experts)])
        sd[f"model.layers.{L}.mlp.experts.down_proj"] = torch.stack([
            w[f + f"{e}.w2.weight"] for e in range(cfg.n_routed_experts)])
    return sd


def build_hf_model(cfg, sd, device, log):
    import torch
    from transformers import DeepseekV4ForCausalLM
    torch.manual_seed(0)
    model = DeepseekV4ForCausalLM(hf_config(cfg)).to(torch.float32)
    missing, unexpected = model.load_state_dict(sd, strict=False)
    if missing or unexpected:
        raise RuntimeError(f"state dict mismatch: missing {missing[:8]}, unexpected {unexpected[:8]}")
    model.config._experts_implementation = "eager"
    model.config._attn_implementation = "eager"
    return model.to(device).eval()


def try_transformers_loader(cfg, ckpt, sd, log):
    """Load the released-layout checkpoint with transformers' own conversion mapping and FP8/FP4
    dequantizer; report how it compares with our torch decode."""
    import torch
    from transformers import DeepseekV4ForCausalLM, FineGrainedFP8Config
    hfdir = ckpt + "-hf"
    os.makedirs(hfdir, exist_ok=True)
    for f in os.listdir(ckpt):
        if not os.path.exists(os.path.join(hfdir, f)):
            os.symlink(os.path.join(ckpt, f), os.path.join(hfdir, f))
    c = hf_config(cfg)
    qc = {"quant_method": "fp8", "activation_scheme": "dynamic", "weight_block_size": [128, 128],
          "scale_fmt": "ue8m0"}
    c.quantization_config = qc
    c.save_pretrained(hfdir)
    try:
        m = DeepseekV4ForCausalLM.from_pretrained(
            hfdir, dtype=torch.float32, device_map="cuda",
            quantization_config=FineGrainedFP8Config(dequantize=True, weight_block_size=(128, 128),
                                                     scale_fmt="ue8m0"))
    except Exception as e:  # noqa: BLE001 - a report, not a failure of the check
        log(f"  transformers loader: FAILED ({type(e).__name__}: {str(e).splitlines()[0][:300]})")
        return None
    got = m.state_dict()
    bad, missing = [], []
    for k, v in sd.items():
        if k not in got:
            missing.append(k)
            continue
        g = got[k].detach().to("cpu", torch.float64)
        if g.shape != v.shape or not torch.equal(g, v.to(torch.float64)):
            diff = float((g - v.to(torch.float64)).abs().max()) if g.shape == v.shape else -1
            bad.append((k, diff))
    log(f"  transformers loader: {len(sd) - len(bad) - len(missing)}/{len(sd)} tensors identical "
        f"to our torch decode; {len(bad)} differ, {len(missing)} missing")
    for k, dlt in bad[:6]:
        log(f"    differs: {k} (max abs diff {dlt:.3g})")
    for k in missing[:4]:
        log(f"    missing: {k}")
    return {"identical": len(sd) - len(bad) - len(missing), "differ": [k for k, _ in bad],
            "missing": missing}


def run_hf_cases(model, cfg, device, dtype):
    import torch
    from transformers import DynamicCache
    toks, toks2 = golden_tokens(cfg.vocab_size)

    def run(ids, cache=None):
        x = torch.tensor(np.asarray(ids)[None, :], device=device)
        with torch.no_grad():
            out = model(input_ids=x, past_key_values=cache, use_cache=cache is not None)
        return out.logits[0].to(torch.float64).cpu().numpy()

    out = {}
    for L in PREFILL_LENGTHS:
        out[f"prefill-{L}"] = run(toks[:L])
    cache = DynamicCache(config=model.config)
    run(toks[:CHUNKS[0]], cache)
    out["chunked"] = run(toks[CHUNKS[0]:sum(CHUNKS)], cache)
    for key, seq, start in (("decode", toks, DECODE_PREFILL), ("decode-2", toks2, SECOND_PREFILL)):
        cache = DynamicCache(config=model.config)
        run(seq[:start], cache)
        out[key] = np.concatenate([run(seq[t:t + 1], cache) for t in range(start, start + DECODE_STEPS)])
    out["decode-batch-slot0"] = out["decode"]
    out["decode-batch-slot1"] = out.pop("decode-2")
    return out


def layer_diagnostics(model, ref_model, cfg, device, log):
    """Per-layer stream agreement on a 300-token prefill (to localize any disagreement)."""
    import torch
    toks, _ = golden_tokens(cfg.vocab_size)
    captured = {}
    hooks = [layer.register_forward_hook(
        lambda mod, inp, out, i=i: captured.__setitem__(i, out.detach().to(torch.float64).cpu().numpy()))
        for i, layer in enumerate(model.model.layers)]
    with torch.no_grad():
        model(input_ids=torch.tensor(toks[None, :300], device=device), use_cache=False)
    for h in hooks:
        h.remove()
    trace = {}
    ref_model.prefill(ref_model.new_state(), toks[:300], trace=trace)
    for i in range(cfg.n_layers):
        a, b = trace["streams"][i], captured[i][0]
        err, rel = compare(a, b)
        log(f"    layer {i} ({cfg.layer_kind(i)}{', hash' if cfg.is_hash_layer(i) else ''}): "
            f"streams max abs {err:.3g}, rel {rel:.3g}")


def check_rope(model, ref_model, log):
    import torch
    rot = model.model.rotary_emb
    for label, ours in (("main", ref_model.freqs_main), ("compress", ref_model.freqs_compress)):
        theirs = getattr(rot, f"{label}_inv_freq").detach().cpu().to(torch.float64).numpy()
        scaling = getattr(rot, f"{label}_attention_scaling")
        rel = float(np.max(np.abs(theirs - ours) / ours))
        log(f"  rope {label}: inv_freq max rel diff {rel:.2e} (fp32 rounding is ~6e-8), "
            f"attention_scaling {scaling}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", default="tiny-a,tiny-b")
    ap.add_argument("--out", required=True, help="directory for report.json and golden files")
    ap.add_argument("--work", default="/tmp/ds4-transformers-check")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--tolerance", type=float, default=1e-4,
                    help="max |ref - transformers| / max |transformers| per case (fp32)")
    args = ap.parse_args(argv)

    import torch
    import transformers
    from models.synthetic import load as load_writer_config, make_checkpoint

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    os.makedirs(args.out, exist_ok=True)
    lines = []

    def log(msg):
        print(msg, flush=True)
        lines.append(msg)

    log(f"transformers {transformers.__version__}, torch {torch.__version__}, numpy {np.__version__}, "
        f"device {torch.cuda.get_device_name() if args.device == 'cuda' else 'cpu'}")
    report, ok = {"versions": {"transformers": transformers.__version__, "torch": torch.__version__,
                               "numpy": np.__version__}, "configs": {}}, True
    for name in args.configs.split(","):
        t0 = time.time()
        cfg_path = os.path.join(REPO, "models", "configs", f"{name}.json")
        cfg = load_config(cfg_path)
        ckpt = os.path.join(args.work, f"ckpt-{name}")
        make_checkpoint(load_writer_config(cfg_path), CHECKPOINT_SEED, ckpt, n_shards=2, force=True)
        digest = checkpoint_digest(ckpt)
        log(f"== {name}: checkpoint seed {CHECKPOINT_SEED}, content sha256 {digest[:16]}...")
        w = dequant_torch(read_checkpoint_torch(ckpt))
        sd = hf_state_dict(cfg, w)
        entry = {"checkpoint_content_sha256": digest}
        try:
            entry["transformers_loader"] = try_transformers_loader(cfg, ckpt, sd, log)
        except Exception:  # noqa: BLE001
            log("  transformers loader: crashed\n" + traceback.format_exc(limit=3))
        model = build_hf_model(cfg, sd, args.device, log)
        ref32 = Model.from_checkpoint(cfg, ckpt, "exact", np.float32)
        # Our own decode of the checkpoint against the torch one (independent decoders).
        worst = max(float(np.max(np.abs(ref32.w[k].astype(np.float64) - v.to(torch.float64).numpy())))
                    for k, v in w.items())
        log(f"  weight decode: numpy (ds4ref) vs torch dtypes: max abs diff {worst:.3g}")
        check_rope(model, ref32, log)

        hf32 = run_hf_cases(model, cfg, args.device, torch.float32)
        ours32 = run_reference_cases(ref32)
        ref64 = Model.from_checkpoint(cfg, ckpt, "exact", np.float64)
        ours64 = run_reference_cases(ref64)
        cases = {}
        log(f"  {'case':22s} {'fp32 max abs':>13s} {'fp32 rel':>10s} {'fp64-ref rel':>13s} "
            f"{'ref32 vs ref64 rel':>18s}")
        for case in hf32:
            e32, r32 = compare(ours32[case], hf32[case])
            _, r64 = compare(ours64[case], hf32[case])
            _, rr = compare(ours32[case], ours64[case])
            cases[case] = {"max_abs": e32, "rel": r32, "rel_ref64": r64, "ref32_vs_ref64": rr,
                           "positions": int(hf32[case].shape[0])}
            flag = "" if r32 <= args.tolerance else "  <-- over tolerance"
            ok &= r32 <= args.tolerance
            log(f"  {case:22s} {e32:13.3g} {r32:10.3g} {r64:13.3g} {rr:18.3g}{flag}")
        entry["cases"] = cases
        log("  per-layer streams, prefill-300 (fp32):")
        layer_diagnostics(model, ref32, cfg, args.device, log)

        # transformers in float64 (its norms, rope, mHC and compressor softmax still run in
        # float32 internally) against the float64 reference, for the record.
        model64 = model.to(torch.float64)
        hf64 = run_hf_cases(model64, cfg, args.device, torch.float64)
        worst64 = max(compare(ours64[c], hf64[c])[1] for c in hf64)
        log(f"  transformers fp64 vs reference fp64: worst rel over all cases {worst64:.3g}")
        entry["rel_fp64_worst"] = worst64

        golden = {"tokens": golden_tokens(cfg.vocab_size)[0], "tokens2": golden_tokens(cfg.vocab_size)[1],
                  "meta": np.array(json.dumps({
                      "config": name, "checkpoint_seed": CHECKPOINT_SEED,
                      "checkpoint_content_sha256": digest, "transformers": transformers.__version__,
                      "torch": torch.__version__, "precision": "float32, TF32 off",
                      "device": args.device}))}
        for case, logits in hf32.items():
            rows = golden_rows(case, logits.shape[0])
            golden[f"{case}/rows"] = rows.astype(np.int32)
            golden[f"{case}/logits"] = logits[rows].astype(np.float32)
        np.savez_compressed(os.path.join(args.out, f"golden-{name}.npz"), **golden)
        entry["seconds"] = time.time() - t0
        report["configs"][name] = entry
        del model, model64
    report["ok"] = bool(ok)
    with open(os.path.join(args.out, "report.json"), "w") as fh:
        json.dump(report, fh, indent=2)
    with open(os.path.join(args.out, "log.txt"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    log("ALL CASES WITHIN TOLERANCE" if ok else "SOME CASES OVER TOLERANCE")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
