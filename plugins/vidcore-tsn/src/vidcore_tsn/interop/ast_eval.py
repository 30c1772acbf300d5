"""A safe evaluator for mmaction2/mmengine Python configs: reads the `ast`, never runs the code.

Only data is evaluated: literals, `dict(...)`/`list(...)`/`tuple(...)`, lists/tuples/dicts with `**`
unpacking, names bound earlier (in the file or, through `_base_.x`/`read_base()`, in its bases), arithmetic
on numbers, `+` on strings/lists/tuples, f-strings, subscripts and ConfigDict-style `a.b` key access, and
the statements mmengine configs use (`x = ...`, `x.a.b = ...`, `x.update(...)`, `x.copy()`). Anything else (calls,
imports of code, comprehensions, lambdas, control flow) is reported with file:line and the key, and skipped.
"""

from __future__ import annotations

import ast
import copy
import operator
from typing import Any, Callable, Mapping

from .diagnostics import Diagnostics

__all__ = ["BASE_NAME", "ImportedName", "Skipped", "Unsupported", "SafeEvaluator"]

BASE_NAME = "_base_"

_MAX_SEQUENCE = 10_000
_MAX_STRING = 100_000
_MAX_EXPONENT = 64
_SAFE_BUILTINS = ("dict", "list", "tuple")
# Modules whose classes a pure-Python (read_base) config imports to name a component `type`.
_TYPE_MODULES = ("mmaction", "mmengine", "mmcv", "mmdet", "mmpretrain", "mmcls", "mmpose", "torch", "torchvision")


class ImportedName(str):
    """A class imported by a pure-Python config (`from mmaction.models import ResNet`): used as its name."""

    module: str = ""

    def __new__(cls, name: str, module: str) -> ImportedName:
        value = super().__new__(cls, name)
        value.module = module
        return value

    def __copy__(self) -> ImportedName:
        return self

    def __deepcopy__(self, memo: dict) -> ImportedName:
        return self


class Skipped:
    """Marks a name whose value was not evaluated; using it skips the key that uses it."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


class Unsupported(Exception):
    """An expression or statement outside the evaluated subset (never executed)."""

    def __init__(self, node: ast.AST, reason: str) -> None:
        super().__init__(reason)
        self.node = node
        self.reason = reason


_BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}
_COMPARE = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_, ast.IsNot: operator.is_not,
}

ImportBase = Callable[[ast.ImportFrom], Mapping[str, Any]]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float))


def _describe(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


class SafeEvaluator:
    """Evaluates one config module's statements into `namespace`, reporting what it does not evaluate.

    `base` is the merged `_base_` config (for `_base_.x` and `{{_base_.x}}`); `import_base` loads the
    module named by an import inside `with read_base():` and returns its names.
    """

    def __init__(self, filename: str, diagnostics: Diagnostics, *, base: Mapping[str, Any] | None = None,
                 import_base: ImportBase | None = None) -> None:
        self.filename = filename
        self.diagnostics = diagnostics
        self.base = base
        self.import_base = import_base
        self.namespace: dict[str, Any] = {}
        self.referenced: set[str] = set()
        self.not_config: set[str] = set()  # names bound by imports: not config keys

    # --- statements ---------------------------------------------------------------------------------
    def run(self, module: ast.Module) -> dict[str, Any]:
        """Evaluate every top-level statement; return the namespace (name -> value)."""
        for statement in module.body:
            try:
                self._statement(statement)
            except Unsupported as exc:
                self._skip_statement(statement, exc)
        return self.namespace

    def _warn(self, node: ast.AST, key: str | None, message: str) -> None:
        """Every finding here is a value left out (code that is not executed)."""
        self.diagnostics.warn(message, key=key, file=self.filename, line=getattr(node, "lineno", None), dropped=True)

    def _skip_statement(self, statement: ast.stmt, exc: Unsupported) -> None:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = [statement.name]
        else:
            names = sorted({node.id for node in ast.walk(statement)
                            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)})
        targets = statement.targets if isinstance(statement, ast.Assign) else (
            [statement.target] if isinstance(statement, (ast.AnnAssign, ast.AugAssign)) else [])
        key = ", ".join(ast.unparse(target) for target in targets) or None
        self._warn(exc.node, key, f"{exc.reason}; not executed, skipped")
        for name in names:
            self.namespace[name] = Skipped(f"{self.filename}:{statement.lineno}: {exc.reason}")

    def _statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Expr):
            self._expression_statement(node)
        elif isinstance(node, ast.Assign):
            value = self.eval(node.value, ast.unparse(node.targets[0]))
            for target in node.targets:
                self._assign(target, value)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self._assign(node.target, self.eval(node.value, ast.unparse(node.target)))
        elif isinstance(node, ast.AugAssign):
            key = ast.unparse(node.target)
            current = self.eval(node.target, key)
            value = self._binary(node, node.op, current, self.eval(node.value, key))
            self._assign(node.target, value)
        elif isinstance(node, ast.ImportFrom):
            self._import_from(node)
        elif isinstance(node, ast.Import):
            raise Unsupported(node, f"import of code `{_describe(node)}`")
        elif isinstance(node, ast.With) and self._is_read_base(node):
            for inner in node.body:
                if not isinstance(inner, ast.ImportFrom) or self.import_base is None:
                    raise Unsupported(inner, f"`{_describe(inner)}` inside read_base() (only base imports)")
                self._bind_imported(inner, self.import_base(inner))
        elif isinstance(node, ast.Pass):
            return
        else:
            kind = type(node).__name__
            raise Unsupported(node, f"`{kind}` statement `{_describe(node).splitlines()[0]}`")

    def _expression_statement(self, node: ast.Expr) -> None:
        value = node.value
        if isinstance(value, ast.Constant):  # docstring or stray literal
            return
        if (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "update"
                and len(value.args) <= 1):
            target = self.eval(value.func.value, ast.unparse(value.func.value))
            if not isinstance(target, dict):
                raise Unsupported(value, f"`.update()` on a {type(target).__name__}")
            updates: dict = {}
            for argument in value.args:
                item = self.eval(argument, ast.unparse(value.func.value))
                if not isinstance(item, dict):
                    raise Unsupported(argument, "`.update()` with something other than a dict")
                updates.update(item)
            updates.update(self._keywords(value.keywords, ast.unparse(value.func.value)))
            _merge_into(target, updates)
            return
        raise Unsupported(value, f"expression `{_describe(value)}`")

    def _assign(self, target: ast.expr, value: Any) -> None:
        if isinstance(target, ast.Name):
            self.namespace[target.id] = value
            self.not_config.discard(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            if not isinstance(value, (list, tuple)) or len(value) != len(target.elts):
                raise Unsupported(target, "unpacking assignment whose value does not match")
            for element, item in zip(target.elts, value):
                self._assign(element, item)
        elif isinstance(target, (ast.Attribute, ast.Subscript)):
            container_node = target.value
            root = container_node
            while isinstance(root, (ast.Attribute, ast.Subscript)):
                root = root.value
            if isinstance(root, ast.Name) and root.id == BASE_NAME:
                raise Unsupported(target, f"assignment into `{BASE_NAME}` (bases are read-only)")
            container = self.eval(container_node, ast.unparse(container_node))
            if isinstance(target, ast.Attribute):
                if not isinstance(container, dict):
                    raise Unsupported(target, f"setting attribute `.{target.attr}` on a {type(container).__name__}")
                container[target.attr] = value
            else:
                index = self.eval(target.slice, ast.unparse(target))
                if isinstance(container, dict) and isinstance(index, (str, int, float, bool, type(None))):
                    container[index] = value
                elif isinstance(container, list) and isinstance(index, int) and not isinstance(index, bool):
                    try:
                        container[index] = value
                    except IndexError:
                        raise Unsupported(target, f"index {index} out of range") from None
                else:
                    raise Unsupported(target, f"item assignment on a {type(container).__name__}")
        else:
            raise Unsupported(target, f"assignment to `{_describe(target)}`")

    def _import_from(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if module == "mmengine.config" and all(alias.name == "read_base" for alias in node.names):
            for alias in node.names:
                self.namespace[alias.asname or alias.name] = ImportedName("read_base", module)
                self.not_config.add(alias.asname or alias.name)
            return
        if node.level == 0 and module.split(".")[0] in _TYPE_MODULES and all(a.name != "*" for a in node.names):
            for alias in node.names:
                bound = alias.asname or alias.name
                self.namespace[bound] = ImportedName(alias.name, module)
                self.not_config.add(bound)
            return
        raise Unsupported(node, f"import of code `{_describe(node)}`")

    def _bind_imported(self, node: ast.ImportFrom, names: Mapping[str, Any]) -> None:
        for alias in node.names:
            if alias.name == "*":
                for name, value in names.items():
                    if not name.startswith("_"):
                        self.namespace[name] = value
                continue
            if alias.name not in names:
                raise Unsupported(node, f"base config has no name `{alias.name}`")
            self.namespace[alias.asname or alias.name] = names[alias.name]

    def _is_read_base(self, node: ast.With) -> bool:
        if len(node.items) != 1:
            return False
        context = node.items[0].context_expr
        return (isinstance(context, ast.Call) and isinstance(context.func, ast.Name) and not context.args
                and isinstance(self.namespace.get(context.func.id), ImportedName)
                and self.namespace[context.func.id] == "read_base")

    # --- expressions --------------------------------------------------------------------------------
    def eval(self, node: ast.expr, key: str) -> Any:
        """The value of `node`; `key` (the key path being built) names it in diagnostics."""
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (bytes, complex)) or node.value is Ellipsis:
                raise Unsupported(node, f"constant of type {type(node.value).__name__}")
            return node.value
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.Dict):
            return self._dict_literal(node, key)
        if isinstance(node, (ast.List, ast.Tuple)):
            items = self._sequence(node.elts, key)
            return items if isinstance(node, ast.List) else tuple(items)
        if isinstance(node, ast.Call):
            return self._call(node, key)
        if isinstance(node, ast.BinOp):
            return self._binary(node, node.op, self.eval(node.left, key), self.eval(node.right, key))
        if isinstance(node, ast.UnaryOp):
            return self._unary(node, key)
        if isinstance(node, ast.BoolOp):
            values = [self.eval(value, key) for value in node.values]
            result = values[0]
            for value in values[1:]:
                result = (result and value) if isinstance(node.op, ast.And) else (result or value)
            return result
        if isinstance(node, ast.Compare):
            return self._compare(node, key)
        if isinstance(node, ast.IfExp):
            return self.eval(node.body if self.eval(node.test, key) else node.orelse, key)
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node, key)
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            return self._access(node, key)
        raise Unsupported(node, f"{type(node).__name__.lower()} `{_describe(node)}`")

    def _name(self, node: ast.Name) -> Any:
        if node.id not in self.namespace:
            raise Unsupported(node, f"name `{node.id}` is not defined in this file (nor imported from its bases)")
        value = self.namespace[node.id]
        if isinstance(value, Skipped):
            raise Unsupported(node, f"`{node.id}` was skipped ({value.reason})")
        self.referenced.add(node.id)
        return value

    def _dict_literal(self, node: ast.Dict, key: str) -> dict:
        result: dict = {}
        for key_node, value_node in zip(node.keys, node.values):
            if key_node is None:
                self._unpack_into(result, value_node, key)
                continue
            try:
                item_key = self.eval(key_node, key)
            except Unsupported as exc:
                self._warn(exc.node, key, f"dict key {exc.reason}; not executed, skipped")
                continue
            if not isinstance(item_key, (str, int, float, bool, type(None))):
                self._warn(key_node, key, f"dict key of type {type(item_key).__name__}; skipped")
                continue
            child = f"{key}.{item_key}" if key else str(item_key)
            try:
                result[item_key] = self.eval(value_node, child)
            except Unsupported as exc:
                self._warn(exc.node, child, f"{exc.reason}; not executed, skipped")
        return result

    def _unpack_into(self, result: dict, node: ast.expr, key: str) -> None:
        try:
            value = self.eval(node, key)
        except Unsupported as exc:
            self._warn(exc.node, key, f"`**{_describe(node)}`: {exc.reason}; not executed, skipped")
            return
        if not isinstance(value, dict):
            self._warn(node, key, f"`**{_describe(node)}` is a {type(value).__name__}, not a dict; skipped")
            return
        result.update(value)

    def _sequence(self, elements: list[ast.expr], key: str) -> list:
        items: list = []
        for element in elements:
            if isinstance(element, ast.Starred):
                try:
                    value = self.eval(element.value, key)
                except Unsupported as exc:
                    self._warn(exc.node, key, f"{exc.reason}; not executed, skipped")
                    continue
                if not isinstance(value, (list, tuple)):
                    self._warn(element, key, f"`*{_describe(element.value)}` is not a list; skipped")
                    continue
                items.extend(value)
                continue
            child = f"{key}[{len(items)}]"
            try:
                items.append(self.eval(element, child))
            except Unsupported as exc:
                self._warn(exc.node, child, f"{exc.reason}; not executed, item skipped")
        return _limited(items, elements[0] if elements else None)

    def _keywords(self, keywords: list[ast.keyword], key: str) -> dict:
        result: dict = {}
        for keyword in keywords:
            if keyword.arg is None:
                self._unpack_into(result, keyword.value, key)
                continue
            child = f"{key}.{keyword.arg}" if key else keyword.arg
            try:
                result[keyword.arg] = self.eval(keyword.value, child)
            except Unsupported as exc:
                self._warn(exc.node, child, f"{exc.reason}; not executed, skipped")
        return result

    def _call(self, node: ast.Call, key: str) -> Any:
        func = node.func
        if (isinstance(func, ast.Attribute) and func.attr == "copy" and not node.args and not node.keywords):
            value = self.eval(func.value, key)
            if isinstance(value, (dict, list)):
                return copy.copy(value)  # ConfigDict.copy()/list.copy(): a shallow copy of data
        if not (isinstance(func, ast.Name) and func.id in _SAFE_BUILTINS and func.id not in self.namespace):
            raise Unsupported(node, f"call `{_describe(node)}`")
        if func.id == "dict":
            result: dict = {}
            for argument in node.args:
                value = self.eval(argument, key)
                if not isinstance(value, dict) or len(node.args) > 1:
                    raise Unsupported(node, f"call `{_describe(node)}` (dict() takes keywords or one dict)")
                result.update(value)
            result.update(self._keywords(node.keywords, key))
            return result
        if node.keywords or len(node.args) > 1:
            raise Unsupported(node, f"call `{_describe(node)}`")
        value = self.eval(node.args[0], key) if node.args else []
        if not isinstance(value, (list, tuple, str)):
            raise Unsupported(node, f"call `{_describe(node)}` on a {type(value).__name__}")
        return list(value) if func.id == "list" else tuple(value)

    def _binary(self, node: ast.AST, op: ast.operator, left: Any, right: Any) -> Any:
        function = _BINARY.get(type(op))
        if function is None:
            raise Unsupported(node, f"operator `{type(op).__name__}`")
        numbers = _is_number(left) and _is_number(right)
        if isinstance(op, ast.Add) and not numbers:
            same_kind = (type(left) is type(right) or isinstance(left, str) and isinstance(right, str)
                         or isinstance(left, list) and isinstance(right, list)
                         or isinstance(left, tuple) and isinstance(right, tuple))
            if not same_kind or not isinstance(left, (str, list, tuple)):
                raise Unsupported(node, f"`+` of {type(left).__name__} and {type(right).__name__}")
            return _limited(function(left, right), node)
        if isinstance(op, ast.Mult) and not numbers:
            sequence, count = (left, right) if isinstance(right, int) else (right, left)
            if not isinstance(sequence, (str, list, tuple)) or not isinstance(count, int) or isinstance(count, bool):
                raise Unsupported(node, f"`*` of {type(left).__name__} and {type(right).__name__}")
            if len(sequence) * max(count, 0) > (_MAX_STRING if isinstance(sequence, str) else _MAX_SEQUENCE):
                raise Unsupported(node, "`*` result too large")
            return sequence * count
        if isinstance(op, ast.Mod) and isinstance(left, str):
            values = right if isinstance(right, tuple) else (right,)
            if not all(isinstance(value, (str, int, float, bool, type(None))) for value in values):
                raise Unsupported(node, "`%` formatting of non-scalar values")
            try:
                return _limited(left % right, node)
            except (TypeError, ValueError) as exc:
                raise Unsupported(node, f"`%` formatting failed: {exc}") from None
        if not numbers:
            raise Unsupported(node, f"`{type(op).__name__}` of {type(left).__name__} and {type(right).__name__}")
        if isinstance(op, ast.Pow) and abs(right) > _MAX_EXPONENT:
            raise Unsupported(node, "exponent too large")
        try:
            return function(left, right)
        except (ArithmeticError, ValueError) as exc:
            raise Unsupported(node, f"arithmetic error: {exc}") from None

    def _unary(self, node: ast.UnaryOp, key: str) -> Any:
        value = self.eval(node.operand, key)
        if isinstance(node.op, ast.Not):
            return not value
        if not _is_number(value):
            raise Unsupported(node, f"unary `{type(node.op).__name__}` of a {type(value).__name__}")
        if isinstance(node.op, ast.USub):
            return -value
        if isinstance(node.op, ast.UAdd):
            return +value
        raise Unsupported(node, f"operator `{type(node.op).__name__}`")

    def _compare(self, node: ast.Compare, key: str) -> bool:
        left = self.eval(node.left, key)
        for op, comparator in zip(node.ops, node.comparators):
            right = self.eval(comparator, key)
            try:
                if not _COMPARE[type(op)](left, right):
                    return False
            except TypeError as exc:
                raise Unsupported(node, f"comparison failed: {exc}") from None
            left = right
        return True

    def _fstring(self, node: ast.JoinedStr, key: str) -> str:
        parts: list[str] = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
                continue
            assert isinstance(value, ast.FormattedValue)
            item = self.eval(value.value, key)
            if not isinstance(item, (str, int, float, bool, type(None))):
                raise Unsupported(value, f"f-string of a {type(item).__name__}")
            if value.conversion == ord("r"):
                item = repr(item)
            elif value.conversion in (ord("s"), ord("a")):
                item = str(item) if value.conversion == ord("s") else ascii(item)
            spec = self._fstring(value.format_spec, key) if value.format_spec is not None else ""
            try:
                parts.append(format(item, spec))
            except (TypeError, ValueError) as exc:
                raise Unsupported(value, f"f-string format failed: {exc}") from None
        return _limited("".join(parts), node)

    def _access(self, node: ast.Attribute | ast.Subscript, key: str) -> Any:
        chain: list[ast.AST] = []
        root: ast.AST = node
        while isinstance(root, (ast.Attribute, ast.Subscript)):
            chain.append(root)
            root = root.value
        chain.reverse()
        if isinstance(root, ast.Name) and root.id == BASE_NAME and self.base is not None:
            value: Any = self.base
            first = chain[0]
            if isinstance(first, ast.Attribute):
                self.referenced.add(first.attr)
            for step in chain:
                value = self._step(step, value, key, from_base=True)
            return copy.deepcopy(value)
        value = self.eval(root, key)  # type: ignore[arg-type]
        for step in chain:
            value = self._step(step, value, key, from_base=False)
        return value

    def _step(self, step: ast.AST, value: Any, key: str, *, from_base: bool) -> Any:
        where = f"`{BASE_NAME}`" if from_base else "a config value"
        if isinstance(step, ast.Attribute):
            if isinstance(value, dict) and step.attr in value:
                return value[step.attr]
            if isinstance(value, dict):
                raise Unsupported(step, f"`{_describe(step)}`: no key `{step.attr}` in {where}")
            raise Unsupported(step, f"attribute access `{_describe(step)}` on a {type(value).__name__}")
        assert isinstance(step, ast.Subscript)
        if isinstance(step.slice, ast.Slice):
            bounds = [self.eval(part, key) if part is not None else None
                      for part in (step.slice.lower, step.slice.upper, step.slice.step)]
            if not isinstance(value, (list, tuple, str)) or not all(b is None or isinstance(b, int) for b in bounds):
                raise Unsupported(step, f"slice `{_describe(step)}`")
            return value[slice(*bounds)]
        index = self.eval(step.slice, key)
        try:
            if isinstance(value, dict):
                return value[index]
            if isinstance(value, (list, tuple, str)) and isinstance(index, int):
                return value[index]
        except (KeyError, IndexError, TypeError):
            raise Unsupported(step, f"`{_describe(step)}`: no item {index!r} in {where}") from None
        raise Unsupported(step, f"subscript `{_describe(step)}` of a {type(value).__name__}")


def _limited(value: Any, node: ast.AST | None) -> Any:
    limit = _MAX_STRING if isinstance(value, str) else _MAX_SEQUENCE
    if isinstance(value, (str, list, tuple)) and len(value) > limit:
        raise Unsupported(node or ast.Pass(), f"value longer than {limit}")
    return value


def _merge_into(target: dict, updates: Mapping[str, Any]) -> None:
    """mmengine's `ConfigDict.update` for pure-Python configs: nested dicts merge, `_delete_` replaces."""
    for key, value in updates.items():
        if (isinstance(value, dict) and isinstance(target.get(key), dict) and not value.get("_delete_", False)):
            _merge_into(target[key], {k: v for k, v in value.items() if k != "_delete_"})
        elif isinstance(value, dict):
            target[key] = {k: v for k, v in value.items() if k != "_delete_"}
        else:
            target[key] = value
