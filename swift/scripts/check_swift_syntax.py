"""Parses Swift files with tree-sitter-swift and reports syntax errors.

run-tests.sh uses it on machines without a Swift toolchain, so the hand-written Swift
layer and tests are at least checked for syntax everywhere (types are only checked
where `swift build` runs). The generated magnetar.swift and magnetar_core.swift are not
passed: the grammar does not know the `@_documentation` attribute uniffi emits.

Usage: python check_swift_syntax.py FILE.swift...
"""

import sys

import tree_sitter
import tree_sitter_swift


def errors(parser: tree_sitter.Parser, source: bytes) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    stack = [parser.parse(source).root_node]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            what = f"missing {node.type}" if node.is_missing else "syntax error"
            found.append((node.start_point[0] + 1, what))
            continue
        stack.extend(node.children)
    return sorted(found)


def main(paths: list[str]) -> int:
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_swift.language()))
    total = 0
    for path in paths:
        with open(path, "rb") as f:
            source = f.read()
        lines = source.decode("utf-8", "replace").splitlines()
        for line, what in errors(parser, source):
            print(f"{path}:{line}: {what}: {lines[line - 1].strip()[:100]}")
            total += 1
    print(f"swift syntax: {len(paths)} files, {total} error(s)")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
