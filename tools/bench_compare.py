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
           "seed_trig_structure", "tfim_vqe_structure", "himmelblau"]
# several optima in one run (issue 11): flowopt's multimodal preset against
# the distinct optima IPOP-CMA-ES's restarts end on, over the whole budget
NICHING = ["himmelblau", "cec_f6_shubert", "cec_f7_vincent"]


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


def ipop_optima(problems, name, seed):
    """IPOP-CMA-ES over the whole budget: the (x, value) each restart ends
    on (its best told point)."""
    dim, lo, hi, maximize, target, budget = problems.info(name)
    handle = problems.lib.fo_bench_open(name.encode(), seed)
    sign = -1.0 if maximize else 1.0
    rng = np.random.default_rng(seed)
    bounds = np.array([[lo, hi]] * dim)
    popsize, evals, restart, ends = 4 + int(3 * math.log(dim)), 0, 0, []
    try:
        while evals < budget:
            opt = CMA(mean=rng.uniform(lo, hi, dim), sigma=(hi - lo) / 4, bounds=bounds,
                      seed=seed * 1000 + restart, population_size=popsize)
            best = None
            while evals < budget and not opt.should_stop():
                told = []
                for _ in range(opt.population_size):
                    x = np.ascontiguousarray(opt.ask(), dtype=np.float64)
                    v = problems.lib.fo_bench_value(
                        handle, x.ctypes.data_as(ctypes.POINTER(ctypes.c_double)))
                    evals += 1
                    told.append((x, sign * v))
                    if best is None or sign * v < sign * best[1]:
                        best = (x.copy(), v)
                opt.tell(told)
            if best is not None:
                ends.append(best)
            popsize *= 2
            restart += 1
    finally:
        problems.lib.fo_bench_close(handle)
    return ends


def optima_found(problems, name, ends):
    """Himmelblau: how many of the four minima some end lies within 0.01 of
    with a value below 1e-3; CEC F6/F7: the peak ratio at accuracy 1e-3
    (ends within 1e-3 of the global value, distinct by the niche radius)."""
    if name == "himmelblau":
        minima = (ctypes.c_double * 8).in_dll(problems.lib, "fo_himmelblau_minima")
        return sum(any(v < 1e-3 and math.hypot(x[0] - minima[2 * k], x[1] - minima[2 * k + 1])
                       < 0.01 for x, v in ends) for k in range(4))
    best, n, radius = ctypes.c_double(), ctypes.c_int(), ctypes.c_double()
    problems.lib.fo_bench_niche(name.encode(), ctypes.byref(best), ctypes.byref(n),
                                ctypes.byref(radius))
    taken = []
    for x, v in sorted(ends, key=lambda e: -e[1]):
        if v >= best.value - 1e-3 and all(np.linalg.norm(x - t) > radius.value
                                          for t in taken):
            taken.append(x)
    return len(taken) / n.value


def niching_row(build, problems, name, seeds):
    out = subprocess.run([build + "/flowopt-bench", "opt", "--preset", "multimodal",
                          "--function", name, "--seeds", str(seeds)],
                         check=True, capture_output=True, text=True).stdout
    f_row = json.loads(out.strip().splitlines()[-1])
    found = [optima_found(problems, name, ipop_optima(problems, name, s))
             for s in range(1, seeds + 1)]
    if name == "himmelblau":
        f = {"all_four_rate": sum(m == 4 for m in f_row["modes_found"]) / seeds,
             "median_found": statistics.median(f_row["modes_found"])}
        c = {"all_four_rate": sum(m == 4 for m in found) / seeds,
             "median_found": statistics.median(found)}
    else:
        f = {"peak_ratio": f_row["peak_ratio_mean"]}
        c = {"peak_ratio": round(statistics.mean(found), 4)}
    return {"bench": "compare-niching", "function": name, "seeds": seeds,
            "preset": "multimodal", "flowopt": f, "ipop_cmaes": c}


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
    problems.lib.fo_bench_niche.argtypes = [ctypes.c_char_p, ctypes.c_void_p,
                                            ctypes.c_void_p, ctypes.c_void_p]
    for name in names:
        if name in NICHING:
            print(json.dumps(niching_row(build, problems, name, seeds)), flush=True)
            continue
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
