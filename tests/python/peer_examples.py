"""Optuna's own examples (shared/peer-examples) made knob trainers, as a user would.

The change is the one the README shows: `import knob` after `import optuna`, and
`knob.serve(objective)` as the first line of the `__main__` block; the objective
is untouched. Used by peer_examples_test.py and bench/peer_examples_bench.py.
"""
import difflib
import gzip
import os
import shutil

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


def knobify(source):
    """The example's text with the two added lines; checks no more than 3 lines changed."""
    lines = source.splitlines(keepends=True)
    out = []
    imported = served = False
    for line in lines:
        out.append(line)
        if not imported and line.strip() == "import optuna":
            out.append("import knob\n")
            imported = True
        if not served and line.startswith('if __name__ == "__main__":'):
            out.append("    knob.serve(objective)\n")
            served = True
    assert imported and served, "the example has no `import optuna` or no __main__ block"
    changed = [d for d in difflib.ndiff(lines, out) if d[:2] in ("+ ", "- ")]
    assert len(changed) <= 3, changed
    return "".join(out)


def prepare(example_path, folder, with_fashion_mnist=False):
    """Copies the example, made a knob trainer, into `folder`; returns the copy's name."""
    name = os.path.basename(example_path)
    with open(example_path) as f:
        source = f.read()
    with open(os.path.join(folder, name), "w") as f:
        f.write(knobify(source))
    if with_fashion_mnist:
        # torchvision 0.14 skips its download when the four files are in <cwd>/FashionMNIST/raw/, uncompressed.
        raw = os.path.join(folder, "FashionMNIST", "raw")
        os.makedirs(raw, exist_ok=True)
        for gz in os.listdir(FASHION_MNIST):
            if gz.endswith(".gz"):
                with gzip.open(os.path.join(FASHION_MNIST, gz)) as src, open(os.path.join(raw, gz[:-3]), "wb") as dst:
                    shutil.copyfileobj(src, dst)
    return name


def study_file(name, script, n_trials, slots, direction="maximize", arguments=()):
    """The study file a user writes for the example: no space (define-by-run), runs beside the script."""
    command = ", ".join(["/usr/bin/python3", script] + list(arguments))
    return ("study: %s\nstorage: knob.db\ndirection: %s\nn_trials: %d\n"
            "sampler: {name: tpe}\npruner: {name: median}\n"
            "trainer:\n  command: [%s]\n  working_dir: '{study_dir}'\n  timeout: 10m\n"
            "resources: {gpus: none, cpu_slots: %d}\n") % (name, direction, n_trials, command, slots)
