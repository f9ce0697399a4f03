"""The measured figures beside the prediction made before the load: a new record, the figures and
the prediction left as they were."""

from asyncgap.cell import explain, model
from asyncgap.core.names import FAST
from asyncgap.core.prediction import Model
from asyncgap.core.records import (
    EndpointFigures,
    Figures,
    Level,
    Predicted,
    Recorded,
    WindowFigures,
    fields_of,
)


def record(prediction: Model, figures: Figures) -> Recorded:
    """The kernel's measured connection split is the one fact of the load the model takes (the
    even split stays beside it); the reason, if theory missed, is measured too."""
    split = figures.connections_per_worker or prediction.inputs.connections
    final = model.recompute(prediction.inputs.model_copy(update={"connections": split}))
    final = final.model_copy(update={"reason": explain.reason(final, figures)})
    predicted = final.predicted_rps
    return Recorded(
        **{**fields_of(figures, Figures), "endpoints": _endpoints_predicted(figures, final)},
        model=final,
        predicted_rps=predicted,
        predicted_rps_even_split=prediction.predicted_rps,
        measured_over_predicted=round(figures.rps / predicted, 3) if predicted else None,
    )


def _endpoints_predicted(figures: Figures, final: Model) -> dict[str, EndpointFigures]:
    """Each calibrated endpoint's figures with its share of the predicted rps and its service time."""
    calibrated = final.inputs.endpoints
    total_share = sum(e.share for e in calibrated.values()) or 1.0
    return {
        name: stats.model_copy(
            update={
                "predicted_rps": round(final.predicted_rps * calibrated[name].share / total_share, 2),
                "service_ms": calibrated[name].service_ms,
            }
        )
        if name in calibrated
        else stats
        for name, stats in figures.endpoints.items()
    }


def level(users: int, recorded: Recorded) -> Level:
    """One level of a sweep, from what record() made of its figures."""
    fast = recorded.endpoints.get(FAST)
    return Level(
        users=users,
        **fields_of(recorded, WindowFigures, Predicted),
        fast_p95_ms=fast and fast.p95_ms,
        fast_p95_ms_exact=fast and fast.p95_ms_exact,
        predicted_latency_ms=model.latency_ms(
            users, recorded.predicted_rps, model.think_s(recorded.model.inputs.endpoints)
        ),
        bound=recorded.model.bound,
        reason=recorded.model.reason,
        endpoints=recorded.endpoints,
    )
