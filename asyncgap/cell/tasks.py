"""A user class's tasks as calibration runs them, one at a time: each a step that makes its calls
on a started user and gives the think time Locust would sleep after them, with its weight.

A locustfile's tasks are functions or TaskSets. A TaskSet picks among its own tasks by weight
until one interrupts it, then its user picks again; a SequentialTaskSet runs its tasks in order.
Calibration measures each function apart, so a TaskSet's functions stand in its place, sharing
its weight by theirs; a function that makes no call (one that only interrupts) has no request to
measure, and its share goes to the others, as a user that leaves the TaskSet picks again. A
SequentialTaskSet is one step of several calls. After each function, the think time is its
TaskSet's `wait_time` (a TaskSet without one defers to its user's). Imports Locust: only for
asyncgap.cell.verify's own process.
"""

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

from locust import SequentialTaskSet, TaskSet, between
from locust.exception import InterruptTaskSet, RescheduleTask, RescheduleTaskImmediately

# Locust's control flow out of a task: the calls made before it stand
FLOW = (InterruptTaskSet, RescheduleTask, RescheduleTaskImmediately)
THINK_DRAWS = 1000  # draws of a `between`, for its mean

Owner = Callable[[object], object]  # a started user -> what a task function is called with


class Unsupported(ValueError):
    """A locustfile whose tasks calibration cannot run one at a time."""


class Step(NamedTuple):
    name: str
    run: Callable[[object], float]  # on a started user: its calls, then the think time after them (s)
    weight: float  # of the user class's cycles: its weight times the task's share of its list
    waiter: Owner  # a started user -> what waits after its calls (the user, or its TaskSet)
    waits: int = 1  # the waits a run makes: one after each of its functions


def steps(user_class) -> list[Step]:
    """The steps of a user class, TaskSets flattened into their functions (Unsupported for a
    TaskSet inside a SequentialTaskSet, whose turn in the order calibration cannot keep)."""
    return list(_steps(user_class.tasks, user_class.weight, lambda user: user))


def _steps(tasks: Sequence, weight: float, owner: Owner) -> Iterator[Step]:
    for task, count in Counter(tasks).items():  # a task of weight w stands in the list w times
        share = weight * count / len(tasks)
        if isinstance(task, type) and issubclass(task, SequentialTaskSet):
            instance = _instance(task, owner)
            yield Step(task.__name__, _in_order(task, instance), share, instance, len(task.tasks))
        elif isinstance(task, type) and issubclass(task, TaskSet):
            yield from _steps(task.tasks, share, _instance(task, owner))
        else:
            yield Step(task.__name__, _alone(task, owner), share, owner)


def _instance(cls: type, owner: Owner) -> Owner:
    """The user's own instance of a TaskSet, started once (its on_start: a sign-in, say)."""

    def of(user):
        started = user.__dict__.setdefault("_asyncgap_tasksets", {})
        if cls not in started:
            started[cls] = cls(owner(user))
            started[cls].on_start()
        return started[cls]

    return of


def _alone(task: Callable, owner: Owner) -> Callable[[object], float]:
    def run(user) -> float:
        where = owner(user)
        _call(task, where)
        return think_s(where)

    return run


def _in_order(cls: type, owner: Owner) -> Callable[[object], float]:
    nested = [task.__name__ for task in cls.tasks if isinstance(task, type)]
    if nested:
        raise Unsupported(
            f"the SequentialTaskSet {cls.__name__} runs a TaskSet ({nested[0]}) in its order, which "
            "calibration cannot measure one task at a time: call its functions from the sequence"
        )

    def run(user) -> float:
        where, think = owner(user), 0.0
        for task in cls.tasks:
            _call(task, where)
            think += think_s(where)
        return think

    return run


def _call(task: Callable, where) -> None:
    with contextlib.suppress(FLOW):
        task(where)


def think_s(where) -> float:
    """What `where`'s wait_time (a user's, or a TaskSet's) gives after a task, as Locust's loop
    would sleep it (a closed loop's think time; not slept here). A paced one (`constant_pacing`,
    `constant_throughput`) is told that the last wait was not slept, so that it paces against
    the task's own run, as under a load whose responses come this fast."""
    for holder in (where, getattr(where, "user", None)):  # a TaskSet's pace may be its user's
        if hasattr(holder, "_cp_last_wait_time"):
            holder._cp_last_wait_time = 0
    return float(where.wait_time())


def mean_think_s(step: Step, user) -> float | None:
    """A run's think time as the mean of THINK_DRAWS draws of its wait_time, when that is
    Locust's own `between` (on the user, or on a TaskSet or one that defers to its user's): a
    uniform draw that keeps no state. None for any other, whose draws the runs give: a pace
    (`constant_pacing`, `constant_throughput`) draws against each run, a wait_time of the
    locustfile's own may keep state anywhere (its user, a closure, a list it pops). A batch may
    run a task of 0.85 s only four times, and four draws of `between(3, 5)` are 0.29 s off its
    mean at one standard deviation: 6% of that user's 4.85 s cycle, and of a load's bound by such
    users. The draws are not slept, and take a microsecond each."""
    where = step.waiter(user)
    if not _between(where):
        return None
    return step.waits * sum(float(where.wait_time()) for _ in range(THINK_DRAWS)) / THINK_DRAWS


def _between(where) -> bool:
    """Whether `where`'s wait_time is locust.between's, its own or, for a TaskSet that sets none,
    its user's (TaskSet.wait_time defers to it)."""
    function = getattr(where.wait_time, "__func__", where.wait_time)
    if function is TaskSet.wait_time:
        return _between(where.user)
    return getattr(function, "__module__", None) == between.__module__ and getattr(
        function, "__qualname__", ""
    ).startswith(f"{between.__qualname__}.")
