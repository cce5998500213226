"""Print the systems of an eval/evaluate.py report as a markdown table (for the model card and docs).

    python eval/report_table.py eval/results/report.json
"""
import json
import sys


def table(report: dict) -> str:
    lines = [f"Out-of-fold macro-F1, {report['n_sentences']} sentences of {report['n_documents']} documents, "
             f"folds by document: `{report['folds']}`. Command: `{report['command']}`", "",
             "| system | area macro-F1 | type macro-F1 | area acc. | type acc. |", "|---|---|---|---|---|"]
    for name, r in report["systems"].items():
        lines.append(f"| {name} | {r['area_macro_f1']:.3f} | {r['type_macro_f1']:.3f} | {r['area_accuracy']:.3f} "
                     f"| {r['type_accuracy']:.3f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    for path in sys.argv[1:]:
        print(table(json.load(open(path))) + "\n")
