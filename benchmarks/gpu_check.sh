#!/usr/bin/env bash
# Every GPU measurement of the train step in one command, for a GPU machine without network access:
# benchmarks/train_throughput.py in bf16 and fp16, channels-last and NCHW, against a hand-written PyTorch loop,
# with a profile of one step, end to end from memory and from decoded videos; then the CUDA behaviour of the
# deferred non-finite-loss check and of the host-side label check, through the real CLI. On one H200 each
# benchmark run took 1-1.5 minutes and the CLI check 1.5 minutes: about 8 minutes in all. Prints a table last;
# every JSON line goes to $OUT/gpu_check.jsonl (OUT defaults to ./gpu_check).
#
#   benchmarks/gpu_check.sh [--quick]          --quick: tiny sizes, to try the script on a CPU first
#
# Needs torch and torchvision there. Our distributions, PyAV and decord travel as wheels in ./.whl, made on a
# machine with network access (Python 3.12 wheels for the GPU machine's Python):
#   pip wheel --no-deps -w .whl ./packages/vidcore ./plugins/vidcore-video ./plugins/vidcore-tsn \
#       ./plugins/vidcore-tensorboard ./plugins/vidcore-wandb
#   pip download --no-deps --only-binary=:all: --python-version 3.12 --platform manylinux_2_28_x86_64 \
#       --platform manylinux2010_x86_64 -d .whl av decord
set -uo pipefail
cd "$(dirname "$0")/.."
quick=()
[ "${1:-}" = "--quick" ] && quick=(--quick)
out=${OUT:-gpu_check}
mkdir -p "$out"
results="$out/gpu_check.jsonl"
: >"$results"

if ls .whl/*.whl >/dev/null 2>&1; then
  site=/tmp/vidcore-gpu-check-site
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" .whl/*.whl \
    || { echo "gpu_check: installing .whl failed" >&2; exit 1; }
  export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}" PATH="$site/bin:$PATH"
fi
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm --format=csv,noheader 2>/dev/null
python3 -c "import torch, torchvision, vidcore_video, vidcore_tsn, av
print('torch', torch.__version__, 'torchvision', torchvision.__version__, 'cuda', torch.cuda.is_available(),
      'cores', __import__('os').cpu_count())" || exit 1
workers=$(( $(nproc) > 3 ? $(nproc) - 2 : 1 ))

run() {
  echo "== $(date +%T) train_throughput.py $*" >&2
  timeout 240 python3 benchmarks/train_throughput.py --workers "$workers" "${quick[@]}" "$@" 2>"$out/last_stderr.txt" \
    | tee -a "$results" || { echo "gpu_check: FAILED: $*" >&2; tail -5 "$out/last_stderr.txt" >&2; }
}
run --amp --compare-bare --profile --data-in-memory                  # bf16, channels-last: the acceptance run
run --amp --memory-format nchw --compare-bare
run --amp --amp-dtype float16 --compare-bare --data-in-memory
run --amp --amp-dtype float16 --memory-format nchw --compare-bare
run --amp --memory-format input_channels_last --compare-bare          # NCHW weights; decoding: can the loader keep up?

echo "== $(date +%T) CUDA behaviour through the CLI: deferred non-finite-loss check, label range checked on the host" >&2
ln -sf "$(command -v vidcore)" "$(dirname "$(python3 -c 'import sys; print(sys.executable)')")/vidcore" 2>/dev/null
timeout 300 python3 -m pytest -q -p no:cacheprovider tests/bad_inputs/test_nan_loss.py \
  "tests/bad_inputs/test_data_inputs.py::test_labels_beyond_the_heads_classes" 2>&1 | tail -4 | tee "$out/cuda_cli.txt"

python3 - "$results" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
print(f"{'amp':9} {'format':20} {'model':>8} {'bare':>8} {'v/bare':>7} {'e2e':>8} {'e2e/m':>6} {'wait':>5} "
      f"{'mem':>4} syncs(v/bare) kernel/wall ms (vidcore)")
for row in rows:
    prof = row.get("profile_vidcore") or {}
    bare = row.get("profile_bare") or {}
    print(f"{row['amp'] or 'float32':9} {row['memory_format']:20} {row['model_only_clips_per_s']:8} "
          f"{row.get('bare_model_only_clips_per_s', '-'):>8} {row.get('vidcore_vs_bare_model_only', '-'):>7} "
          f"{row.get('end_to_end_clips_per_s', '-'):>8} {row.get('end_to_end_vs_model_only', '-'):>6} "
          f"{row.get('data_wait_fraction', '-'):>5} {'yes' if row['data_in_memory'] else 'no':>4} "
          f"{prof.get('syncs', '-')}/{bare.get('syncs', '-')} {prof.get('device_kernel_ms', '-')}/{prof.get('wall_ms', '-')}")
print(rows[0]["device"] if rows else "no results", "| torch", rows[0]["torch"] if rows else "-")
EOF
