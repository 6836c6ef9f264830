"""Detect (and undo) changes a student's code makes to the modules the checkers rely on.

A :class:`Snapshot` records, by identity, every attribute of the protected
modules, the attribute dicts of the classes they define, the code, defaults
and closure cells of their functions, and the exercise registry. ``changes()``
lists what differs now; ``restore()`` puts it back. Everything this module
calls is captured when it is imported, before any student code exists.
"""
import builtins
import sys
import types

_MISSING = object()
_vars, _id, _isinstance, _getattr, _setattr = vars, id, isinstance, getattr, setattr
_dict, _list, _sorted, _type = dict, list, sorted, type
_FunctionType, _ModuleType = types.FunctionType, types.ModuleType
_object_setattr = object.__setattr__
_type_setattr, _type_delattr = type.__setattr__, type.__delattr__

#: modules whose attributes a checker (or the grader) relies on; course_utils.* is always included
PROTECTED = ("builtins", "math", "copy", "contextlib", "io", "json", "hmac", "hashlib", "os", "operator",
             "functools", "itertools", "numbers", "numpy", "numpy.linalg", "numpy.random", "numpy.testing",
             "torch", "torch.nn", "torch.nn.functional", "torch.autograd")


def _cell_full(cell):
    try:
        cell.cell_contents
        return True
    except ValueError:
        return False


def _cells_changed(function, cells, _MISSING=_MISSING, len=len, any=any, zip=zip, _cell_full=_cell_full):
    closure = function.__closure__ or ()
    if len(closure) != len(cells):
        return True
    return any((c.cell_contents if _cell_full(c) else _MISSING) is not v for c, v in zip(closure, cells))



def protected_modules():
    names = [n for n in _list(sys.modules) if n == "course_utils" or n.startswith("course_utils.")]
    names += [n for n in PROTECTED if n in sys.modules]
    return [(n, sys.modules[n]) for n in _sorted(set(names)) if _isinstance(sys.modules[n], _ModuleType)]


class Snapshot:
    def __init__(self, registry=None):
        self.modules, self.classes, self.functions, self.exercises = [], [], [], []
        self.registry = registry
        self.registry_items = _dict(registry) if registry is not None else None
        seen_classes, seen_functions = set(), set()
        for name, module in protected_modules():
            contents = _dict(_vars(module))
            self.modules.append((name, module, contents))
            for value in contents.values():
                if _isinstance(value, _type) and _id(value) not in seen_classes:
                    owner = _getattr(value, "__module__", "") or ""
                    if owner.split(".")[0] in ("course_utils", "numpy", "torch") or owner == name:
                        seen_classes.add(_id(value))
                        self.classes.append((value, _dict(_vars(value))))
                        for member in _vars(value).values():
                            self._function(member, seen_functions)
                else:
                    self._function(value, seen_functions)
        for exercise in (registry or {}).values():
            self.exercises.append((exercise, _dict(_vars(exercise))))
            self._function(exercise.checker, seen_functions)
            self._function(exercise.reference, seen_functions)
        self.ids = frozenset([_id(m) for _, m, _ in self.modules] + [_id(c) for c, _ in self.classes]
                             + [_id(f) for f, *_ in self.functions] + [_id(e) for e, _ in self.exercises])

    def _function(self, value, seen):
        if _isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if _isinstance(value, _FunctionType) and _id(value) not in seen:
            seen.add(_id(value))
            cells = tuple(c.cell_contents if _cell_full(c) else _MISSING for c in (value.__closure__ or ()))
            self.functions.append((value, value.__code__, value.__defaults__, value.__kwdefaults__, cells))

    def changes(self, _MISSING=_MISSING, _vars=_vars, _dict=_dict, _type_delattr=_type_delattr, _type_setattr=_type_setattr, _cell_full=_cell_full, _cells_changed=_cells_changed, zip=zip, len=len, any=any, TypeError=TypeError, AttributeError=AttributeError, ValueError=ValueError):
        """Human-readable names of everything that differs from the snapshot (empty when untouched)."""
        found = []
        for name, module, contents in self.modules:
            current = _vars(module)
            for key, value in contents.items():
                if current.get(key, _MISSING) is not value:
                    found.append(f"{name}.{key}")
        for cls, contents in self.classes:
            current = _vars(cls)
            for key, value in contents.items():
                if current.get(key, _MISSING) is not value:
                    found.append(f"{cls.__module__}.{cls.__qualname__}.{key}")
            for key in current:
                if key not in contents:
                    found.append(f"{cls.__module__}.{cls.__qualname__}.{key} (added)")
        for function, code, defaults, kwdefaults, cells in self.functions:
            if (function.__code__ is not code or function.__defaults__ is not defaults
                    or function.__kwdefaults__ is not kwdefaults or _cells_changed(function, cells)):
                found.append(f"{function.__module__}.{function.__qualname__} (code)")
        if self.registry is not None:
            if _dict(self.registry) != self.registry_items or any(
                    self.registry.get(k) is not v for k, v in self.registry_items.items()):
                found.append("the exercise registry")
            for exercise, fields in self.exercises:
                if any(_vars(exercise).get(k, _MISSING) is not v for k, v in fields.items()):
                    found.append(f"exercise {fields.get('id')}")
        return found

    def module_changes(self, _MISSING=_MISSING, _vars=_vars):
        """The quick part of :meth:`changes`: module attributes only (about a millisecond)."""
        found = []
        for name, module, contents in self.modules:
            current = _vars(module)
            for key, value in contents.items():
                if current.get(key, _MISSING) is not value:
                    found.append(f"{name}.{key}")
        return found

    def restore(self, _MISSING=_MISSING, _vars=_vars, _dict=_dict, _type_delattr=_type_delattr, _type_setattr=_type_setattr, _cell_full=_cell_full, _cells_changed=_cells_changed, zip=zip, len=len, any=any, TypeError=TypeError, AttributeError=AttributeError, ValueError=ValueError):
        for _, module, contents in self.modules:
            current = _vars(module)
            for key, value in contents.items():
                if current.get(key, _MISSING) is not value:
                    current[key] = value
        for cls, contents in self.classes:
            current = _vars(cls)
            for key in [k for k in current if k not in contents]:
                try:
                    _type_delattr(cls, key)
                except (TypeError, AttributeError):
                    pass
            for key, value in contents.items():
                if current.get(key, _MISSING) is not value:
                    try:
                        _type_setattr(cls, key, value)
                    except (TypeError, AttributeError):
                        pass
        for function, code, defaults, kwdefaults, cells in self.functions:
            try:
                function.__code__, function.__defaults__, function.__kwdefaults__ = code, defaults, kwdefaults
            except (TypeError, ValueError):
                pass
            for cell, value in zip(function.__closure__ or (), cells):
                if value is not _MISSING:
                    cell.cell_contents = value
        if self.registry is not None:
            self.registry.clear()
            self.registry.update(self.registry_items)
            for exercise, fields in self.exercises:
                current = _vars(exercise)
                current.clear()
                current.update(fields)


# keep builtins referenced so linters do not drop the import; the grader protects it by name
_ = builtins
