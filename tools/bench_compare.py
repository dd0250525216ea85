"""bench_compare.py - flowopt and IPOP-CMA-ES side by side on the same problems.

    /usr/bin/python3 tools/bench_compare.py BUILD_DIR [--seeds N] [--preset P]
                                            [--functions a,b,...]

For each function both optimizers get the same problems (the same C code,
libfobench.so through ctypes: each seed's shift and rotation are drawn in C),
the same budgets, targets and seeds. flowopt runs as BUILD_DIR/flowopt-bench
(default preset unless --preset); CMA-ES is Debian's python3-cmaes (an independent
implementation), started from a mean uniform in the box with
sigma = (hi - lo) / 4, restarted with a doubled population whenever it stops
(IPOP, Auger and Hansen 2005), counting every evaluation. Prints one JSON line
per function on stdout and the table on stderr; the ratio is flowopt's median
evaluations to target over CMA-ES's (below 1: flowopt needs fewer).
"""
import ctypes
import json
import math
import statistics
import subprocess
import sys

import numpy as np
from cmaes import CMA

DEFAULT = ["sphere", "ellipsoid", "rosenbrock", "rastrigin", "ackley", "styblinski_tang",
           "seed_trig", "tfim_vqe", "seed_trig_periodic", "tfim_vqe_periodic",
           "seed_trig_structure", "tfim_vqe_structure"]


class Problems:
    def __init__(self, so):
        self.lib = ctypes.CDLL(so)
        self.lib.fo_bench_open.restype = ctypes.c_void_p
        self.lib.fo_bench_open.argtypes = [ctypes.c_char_p, ctypes.c_uint64]
        self.lib.fo_bench_value.restype = ctypes.c_double
        self.lib.fo_bench_value.argtypes = [ctypes.c_void_p,
                                            ctypes.POINTER(ctypes.c_double)]
        self.lib.fo_bench_close.argtypes = [ctypes.c_void_p]
        self.lib.fo_bench_exact.restype = ctypes.c_double
        self.lib.fo_bench_exact.argtypes = self.lib.fo_bench_value.argtypes
        self.lib.fo_bench_shots.restype = ctypes.c_uint

    def info(self, name):
        dim, lo, hi = ctypes.c_size_t(), ctypes.c_double(), ctypes.c_double()
        mx, ok, budget = ctypes.c_int(), ctypes.c_double(), ctypes.c_uint64()
        if self.lib.fo_bench_info(name.encode(), ctypes.byref(dim), ctypes.byref(lo),
                                  ctypes.byref(hi), ctypes.byref(mx), ctypes.byref(ok),
                                  ctypes.byref(budget)) != 0:
            raise SystemExit("unknown function " + name)
        return dim.value, lo.value, hi.value, bool(mx.value), ok.value, budget.value


def ipop_cmaes(problems, name, seed):
    """One IPOP-CMA-ES run: evaluations to target (None when missed)."""
    dim, lo, hi, maximize, target, budget = problems.info(name)
    handle = problems.lib.fo_bench_open(name.encode(), seed)
    sign = -1.0 if maximize else 1.0
    rng = np.random.default_rng(seed)
    # a periodic function needs no box: CMA-ES searches the line, as its
    # users would run it on angles
    periodic = problems.lib.fo_bench_periodic(name.encode()) == 1
    # under shot noise a run is judged by the noise-free value at its final
    # mean, the point a CMA-ES user would take (cmaes keeps it in _mean)
    noisy = problems.lib.fo_bench_shots(name.encode()) > 0

    def reached(v):
        return (v >= target) if maximize else (v <= target)
    bounds = None if periodic else np.array([[lo, hi]] * dim)
    popsize = 4 + int(3 * math.log(dim))
    evals, restart = 0, 0
    try:
        while evals < budget:
            opt = CMA(mean=rng.uniform(lo, hi, dim), sigma=(hi - lo) / 4, bounds=bounds,
                      seed=seed * 1000 + restart, population_size=popsize)
            while evals < budget and not opt.should_stop():
                told = []
                for _ in range(opt.population_size):
                    x = np.ascontiguousarray(opt.ask(), dtype=np.float64)
                    v = problems.lib.fo_bench_value(
                        handle, x.ctypes.data_as(ctypes.POINTER(ctypes.c_double)))
                    evals += 1
                    if not noisy and reached(v):
                        return evals
                    told.append((x, sign * v))
                    if evals >= budget:
                        return None
                opt.tell(told)
                if noisy:
                    m = np.ascontiguousarray(opt._mean, dtype=np.float64)
                    if reached(problems.lib.fo_bench_exact(
                            handle, m.ctypes.data_as(ctypes.POINTER(ctypes.c_double)))):
                        return evals
            popsize *= 2
            restart += 1
    finally:
        problems.lib.fo_bench_close(handle)
    return None


def flowopt(build, name, seeds, preset):
    out = subprocess.run([build + "/flowopt-bench", "opt", "--preset", preset,
                          "--function", name, "--seeds", str(seeds)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    args = sys.argv[1:]
    if not args:
        raise SystemExit(__doc__)
    build, seeds, names, preset = args[0], 20, DEFAULT, "default"
    i = 1
    while i < len(args):
        if args[i] == "--seeds":
            seeds, i = int(args[i + 1]), i + 2
        elif args[i] == "--preset":
            preset, i = args[i + 1], i + 2
        elif args[i] == "--functions":
            names, i = args[i + 1].split(","), i + 2
        else:
            raise SystemExit("unknown argument " + args[i])
    problems = Problems(build + "/libfobench.so")
    rows = []
    for name in names:
        f_row = flowopt(build, name, seeds, preset)
        f_rate, f_median = f_row["success_rate"], f_row["evals_to_target"][1]
        runs = [ipop_cmaes(problems, name, s) for s in range(1, seeds + 1)]
        hits = [r for r in runs if r is not None]
        c_rate = len(hits) / seeds
        c_median = statistics.median(hits) if hits else None
        ratio = f_median / c_median if f_median and c_median else None
        row = {"bench": "compare", "function": name, "seeds": seeds, "preset": preset,
               "flowopt": {"success_rate": f_rate, "median_evals": f_median,
                           "nan": f_row["nan"], "rollbacks": f_row["rollbacks"],
                           "engine_us_per_generation": f_row["engine_us_per_generation"]},
               "ipop_cmaes": {"success_rate": c_rate, "median_evals": c_median},
               "ratio": round(ratio, 3) if ratio else None}
        rows.append(row)
        print(json.dumps(row), flush=True)
    fmt = "{:<16} {:>8} {:>10}   {:>8} {:>10}   {:>6}"
    print(fmt.format("function", "flowopt", "median", "IPOP-CMA", "median", "ratio"),
          file=sys.stderr)
    for r in rows:
        f, c = r["flowopt"], r["ipop_cmaes"]
        print(fmt.format(r["function"], "%.0f%%" % (100 * f["success_rate"]),
                         "%.0f" % f["median_evals"] if f["median_evals"] else "-",
                         "%.0f%%" % (100 * c["success_rate"]),
                         "%.0f" % c["median_evals"] if c["median_evals"] else "-",
                         "%.2f" % r["ratio"] if r["ratio"] else "-"), file=sys.stderr)


main()
