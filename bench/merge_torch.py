# The PyTorch anchor of bench/merge.ts: the same merges, written the way FusionBench computes
# them (state-dict arithmetic in float32; TIES on the flattened, key-sorted state dict with
# torch.kthvalue), reading and writing the same safetensors files. Prints one JSON line.
# usage: merge_torch.py METHOD OUT BASE MODEL...
# FBW_BENCH_MEM_LIMIT_MB caps the address space (TIES holds every task vector flattened, several
# GB with eight ViT-B/32 models): past it the merge fails with MemoryError instead of taking the
# shared machine's memory.
import json, os, resource, struct, sys, time

_cap = os.environ.get('FBW_BENCH_MEM_LIMIT_MB')
if _cap:
    resource.setrlimit(resource.RLIMIT_AS, (int(_cap) << 20, int(_cap) << 20))
import torch

def load(path):
    size = os.path.getsize(path)
    buf = bytearray(size)
    with open(path, 'rb', buffering=0) as f:
        view = memoryview(buf)
        got = 0
        while got < size:
            got += f.readinto(view[got:])
    n = struct.unpack('<Q', buf[:8])[0]
    header = json.loads(bytes(buf[8:8 + n]))
    start = 8 + n
    sd = {}
    for name, e in sorted(((k, v) for k, v in header.items() if k != '__metadata__'), key=lambda kv: kv[1]['data_offsets'][0]):
        assert e['dtype'] == 'F32'
        b, end = e['data_offsets']
        sd[name] = torch.frombuffer(buf, dtype=torch.float32, offset=start + b, count=(end - b) // 4).view(e['shape'])
    return sd

def save(path, sd):
    header, off = {}, 0
    for k, v in sd.items():
        nbytes = v.numel() * 4
        header[k] = {'dtype': 'F32', 'shape': list(v.shape), 'data_offsets': [off, off + nbytes]}
        off += nbytes
    h = json.dumps(header).encode()
    h += b' ' * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for v in sd.values():
            f.write(v.contiguous().numpy().tobytes())

def simple_average(models):
    acc = None
    for m in models:
        acc = dict(m) if acc is None else {k: acc[k] + m[k] for k in acc}
    return {k: v / len(models) for k, v in acc.items()}

def task_arithmetic(base, models, s):
    tv = None
    for m in models:
        d = {k: m[k] - base[k] for k in base}
        tv = d if tv is None else {k: tv[k] + d[k] for k in tv}
    return {k: base[k] + tv[k] * s for k in base}

def flatten(sd):
    return torch.cat([sd[k].reshape(-1) for k in sorted(sd)])

def ties(base, models, s, threshold=20, func='sum'):
    flat_ptm = flatten(base)
    tvs = torch.vstack([flatten(m) for m in models]) - flat_ptm
    K = threshold / 100 if threshold > 1 else threshold
    n, d = tvs.shape
    kth, _ = tvs.abs().kthvalue(d - int(d * K), dim=1, keepdim=True)
    tvs = tvs * (tvs.abs() >= kth)
    sign = torch.sign(tvs.sum(dim=0))
    sign[sign == 0] = torch.sign(sign.sum())
    keep = torch.where(sign.unsqueeze(0) > 0, tvs > 0, tvs < 0)
    sel = tvs * keep
    assert func == 'sum'
    merged = flat_ptm + s * sel.sum(dim=0)
    out, off = {}, 0
    for k in sorted(base):
        c = base[k].numel()
        out[k] = merged[off:off + c].view(base[k].shape)
        off += c
    return {k: out[k] for k in base}

def main():
    try:
        run()
    except (MemoryError, RuntimeError) as e:
        if 'memory' not in str(e).lower() and not isinstance(e, MemoryError):
            raise
        sys.exit(f'out of memory under the {os.environ.get("FBW_BENCH_MEM_LIMIT_MB")} MB cap: {str(e).splitlines()[0][:200]}')

def run():
    method, out, base_path, *model_paths = sys.argv[1:]
    torch.set_grad_enabled(False)
    t0 = time.perf_counter()
    base = None if method == 'simple_average' else load(base_path)
    models = [load(p) for p in model_paths]
    if method == 'simple_average':
        r = simple_average(models)
    elif method == 'task_arithmetic':
        r = task_arithmetic(base, models, 0.3)
    elif method == 'ties_merging':
        r = ties(base, models, 0.3)
    else:
        raise SystemExit(f'unknown method {method}')
    save(out, r)
    seconds = time.perf_counter() - t0
    print(json.dumps({'method': method, 'seconds': seconds, 'threads': torch.get_num_threads(), 'torch': torch.__version__, 'maxRssMB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))

main()
