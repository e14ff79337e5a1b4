"""Plane geometry on small office-sized shapes (lat/lon treated as planar at this scale)."""

from __future__ import annotations

from collections.abc import Sequence

Vertex = tuple[float, float]


def _orientation(a: Vertex, b: Vertex, c: Vertex) -> int:
    cross = (b[1] - a[1]) * (c[0] - b[0]) - (b[0] - a[0]) * (c[1] - b[1])
    return 0 if cross == 0 else (1 if cross > 0 else 2)


def _on_segment(a: Vertex, b: Vertex, c: Vertex) -> bool:
    return min(a[0], c[0]) <= b[0] <= max(a[0], c[0]) and min(a[1], c[1]) <= b[1] <= max(a[1], c[1])


def segments_intersect(p1: Vertex, q1: Vertex, p2: Vertex, q2: Vertex) -> bool:
    o1, o2 = _orientation(p1, q1, p2), _orientation(p1, q1, q2)
    o3, o4 = _orientation(p2, q2, p1), _orientation(p2, q2, q1)
    if o1 != o2 and o3 != o4:
        return True
    return (
        (o1 == 0 and _on_segment(p1, p2, q1))
        or (o2 == 0 and _on_segment(p1, q2, q1))
        or (o3 == 0 and _on_segment(p2, p1, q2))
        or (o4 == 0 and _on_segment(p2, q1, q2))
    )


def polygon_is_simple(vertices: Sequence[Vertex]) -> bool:
    """True when no two non-adjacent edges touch and no vertex repeats."""
    n = len(vertices)
    if n < 3 or len(set(vertices)) != n:
        return False
    edges = [(vertices[i], vertices[(i + 1) % n]) for i in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            adjacent = j == i + 1 or (i == 0 and j == n - 1)
            if not adjacent and segments_intersect(*edges[i], *edges[j]):
                return False
    return True
