"""A diagram of a workflow: trigger → conditions → each step in order, drawn from the JSON;
beside each approval step, its rejected path (the run ends; the policy returns to draft or
to the workflow's ``on_reject`` status).

It draws from the form's JSON object, so it follows every edit, even while the definition
still has problems (a step with a problem gets a dashed accent border). Colours come from
the palette, so it follows the light / dark scheme.
"""

from __future__ import annotations

import html
import itertools
from typing import Any

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsTextItem,
    QGraphicsView,
    QWidget,
)

from governance_desktop.ui.pages.workflows.actions import ACTION_TITLES
from governance_desktop.ui.pages.workflows.conditions import value_text
from governance_desktop.ui.pages.workflows.trigger import describe_trigger
from governance_desktop.ui.widgets import named

WIDTH = 360.0
GAP = 34.0
PAD = 10.0
ERROR_COLOUR = QColor(192, 57, 43)
ROLE, INDEX = 0, 1  # QGraphicsItem.data keys: "trigger" / "conditions" / "action", step index
REJECTED = 3  # data key of a rejected-path box: the status a rejection returns the policy to
BRANCH_GAP, BRANCH_WIDTH = 24.0, 130.0


def _rule(action: dict[str, Any]) -> str:
    n = len(action.get("approvers") or [])
    rule = action.get("rule", "all")
    if isinstance(rule, dict):
        return f"at least {rule.get('at_least')} of {n} must approve"
    return f"any one of {n} may approve" if rule == "any" else f"all {n} must approve"


def describe_condition(node: Any) -> str:
    """A compact reading of a condition dict: ``all(title contains 'Security', …)``."""
    if not isinstance(node, dict):
        return "?"
    for key in ("all", "any"):
        if key in node:
            return f"{key}(" + ", ".join(describe_condition(c) for c in node[key]) + ")"
    if "not" in node:
        return f"not {describe_condition(node['not'])}"
    op = node.get("op", "?")
    if op == "is_null":
        return f"{node.get('field')} is {'not ' if node.get('value') is False else ''}empty"
    return f"{node.get('field')} {op} {value_text(node.get('value'))!r}"


def action_lines(action: dict[str, Any]) -> tuple[str, list[str]]:
    """The heading and detail lines of a step's box."""
    kind = str(action.get("type", "?"))
    title = ACTION_TITLES.get(kind, kind)
    if kind == "set_status":
        return title, [f"→ {action.get('status', '?')}"]
    if kind == "notify":
        return title, [", ".join(action.get("users") or []) or "nobody", action.get("title", "")]
    if kind == "assign":
        return title, [f"to {action.get('user') or '?'}"]
    due = action.get("due_in_days")
    due_text = [f"due in {due} days"] if due is not None else []
    if kind == "create_task":
        who = action.get("assignee") or "the policy's owner"
        return title, [action.get("title", ""), f"for {who}", *due_text]
    if kind == "approval":
        approvers = ", ".join(action.get("approvers") or []) or (
            "every eligible approver" if action.get("any_approver") else "nobody"
        )
        lines = [f"Approvers: {approvers}", f"Rule: {_rule(action)}", *due_text]
        return "◆ " + title, ([action["title"]] if action.get("title") else []) + lines
    return title, []


class WorkflowDiagram(QGraphicsView):
    """``show_definition(data, error_paths)`` redraws the whole (small) scene."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        named(self, "workflowDiagram")
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self._data: dict[str, Any] = {}
        self._bad: set[int] = set()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.show_definition(self._data, self._bad)
        super().changeEvent(event)

    def nodes(self) -> list[QGraphicsItem]:
        """The boxes, top to bottom (trigger, conditions, then one per step)."""
        boxes = [item for item in self.scene().items() if item.data(ROLE)]
        return sorted(boxes, key=lambda item: item.pos().y())

    def show_definition(self, data: dict[str, Any], bad_steps: set[int] | None = None) -> None:
        self._data, self._bad = data, set(bad_steps or ())
        scene = self.scene()
        scene.clear()
        y = 0.0
        trigger = describe_trigger(dict(data.get("trigger") or {}))
        y = self._box(y, "trigger", 0, "When", [trigger], "pill") + GAP
        conditions = data.get("conditions")
        text = describe_condition(conditions) if conditions else "none: every policy"
        y = self._box(y, "conditions", 0, "If", [text], "hexagon") + GAP
        for i, action in enumerate(data.get("actions") or []):
            heading, lines = action_lines(action)
            shape = "approval" if action.get("type") == "approval" else "rect"
            y = self._box(y, "action", i, f"{i + 1}. {heading}", lines, shape, i in self._bad) + GAP
        boxes = self.nodes()
        back_to = str(data.get("on_reject") or "draft")
        for box in boxes:
            if box.data(ROLE) == "action" and box.data(2):
                self._rejected_path(box, back_to)
        for upper, lower in itertools.pairwise(boxes):
            label = "approved" if upper.data(ROLE) == "action" and upper.data(2) else ""
            if upper.data(ROLE) == "conditions":
                label = "pass"
            self._arrow(upper.sceneBoundingRect().bottom(), lower.sceneBoundingRect().top(), label)
        scene.setSceneRect(scene.itemsBoundingRect().adjusted(-10, -20, 10, 20))

    def _box(
        self,
        y: float,
        role: str,
        index: int,
        heading: str,
        lines: list[str],
        shape: str,
        bad: bool = False,
    ) -> float:
        palette = QApplication.palette()
        text = QGraphicsTextItem()
        text.setDefaultTextColor(palette.color(QPalette.ColorRole.Text))
        body = "<br>".join(html.escape(line) for line in lines if line)
        text.setHtml(f"<b>{html.escape(heading)}</b><br>{body}")
        inset = 26.0 if shape == "hexagon" else PAD
        text.setTextWidth(WIDTH - 2 * inset)
        height = text.boundingRect().height() + 2 * PAD
        rect = QRectF(0, 0, WIDTH, height)
        item = QGraphicsPathItem(_shape_path(shape, rect))
        accent = palette.color(QPalette.ColorRole.Highlight)
        pen = QPen(palette.color(QPalette.ColorRole.Mid), 1.5)
        fill = palette.color(QPalette.ColorRole.Base)
        if shape == "approval":
            pen = QPen(accent, 3)
        elif shape in ("pill", "hexagon"):
            fill = palette.color(QPalette.ColorRole.AlternateBase)
        if bad:
            pen = QPen(ERROR_COLOUR, 2.5, Qt.PenStyle.DashLine)
        item.setPen(pen)
        item.setBrush(QBrush(fill))
        item.setData(ROLE, role)
        item.setData(INDEX, index)
        item.setData(2, shape == "approval")
        item.setToolTip(heading + ("\n" + "\n".join(lines) if lines else ""))
        item.setPos(0, y)
        text.setParentItem(item)
        text.setPos(inset, PAD)
        self.scene().addItem(item)
        return y + height

    def rejected_paths(self) -> list[tuple[int, str]]:
        """(step index, status) of each rejected-path box, top to bottom."""
        found = [item for item in self.scene().items() if item.data(REJECTED)]
        found.sort(key=lambda item: item.pos().y())
        return [(int(item.data(INDEX)), str(item.data(REJECTED))) for item in found]

    def _rejected_path(self, box: QGraphicsItem, status: str) -> None:
        """A dashed arrow from the approval box's side to a box naming where a rejection
        sends the policy."""
        source = box.sceneBoundingRect()
        palette = QApplication.palette()
        text = QGraphicsTextItem()
        text.setDefaultTextColor(palette.color(QPalette.ColorRole.Text))
        text.setHtml(f"<b>✗ Rejected</b><br>→ {html.escape(status)}; the run ends")
        text.setTextWidth(BRANCH_WIDTH - 2 * PAD)
        height = text.boundingRect().height() + 2 * PAD
        item = QGraphicsPathItem(_shape_path("pill", QRectF(0, 0, BRANCH_WIDTH, height)))
        item.setPen(QPen(ERROR_COLOUR, 1.5))
        item.setBrush(QBrush(palette.color(QPalette.ColorRole.Base)))
        mid = source.center().y()
        left = source.right() + BRANCH_GAP
        item.setPos(left, mid - height / 2)
        item.setData(REJECTED, status)
        item.setData(INDEX, box.data(INDEX))
        item.setToolTip(
            f"If this approval is rejected, the run ends and the policy goes to {status}"
        )
        text.setParentItem(item)
        text.setPos(PAD, PAD)
        self.scene().addItem(item)
        pen = QPen(ERROR_COLOUR, 1.5, Qt.PenStyle.DashLine)
        self.scene().addLine(source.right() + 1, mid, left - 8, mid, pen)
        head = QPolygonF(
            [QPointF(left - 9, mid - 5), QPointF(left - 9, mid + 5), QPointF(left - 1, mid)]
        )
        self.scene().addPolygon(head, QPen(ERROR_COLOUR, 1.5), QBrush(ERROR_COLOUR))

    def _arrow(self, top: float, bottom: float, label: str) -> None:
        colour = QApplication.palette().color(QPalette.ColorRole.Text)
        x = WIDTH / 2
        pen = QPen(colour, 1.5)
        self.scene().addLine(x, top + 2, x, bottom - 8, pen)
        head = QPolygonF(
            [QPointF(x - 5, bottom - 9), QPointF(x + 5, bottom - 9), QPointF(x, bottom - 1)]
        )
        self.scene().addPolygon(head, pen, QBrush(colour))
        if label:
            tag = self.scene().addSimpleText(label)
            tag.setBrush(QBrush(QApplication.palette().color(QPalette.ColorRole.PlaceholderText)))
            tag.setPos(x + 8, top + (bottom - top) / 2 - tag.boundingRect().height() / 2)


def _shape_path(shape: str, rect: QRectF) -> QPainterPath:
    path = QPainterPath()
    if shape == "pill":
        radius = min(rect.height() / 2, 22.0)
        path.addRoundedRect(rect, radius, radius)
    elif shape == "hexagon":
        d = min(18.0, rect.height() / 2)
        mid = rect.center().y()
        path.addPolygon(
            QPolygonF(
                [
                    QPointF(rect.left() + d, rect.top()),
                    QPointF(rect.right() - d, rect.top()),
                    QPointF(rect.right(), mid),
                    QPointF(rect.right() - d, rect.bottom()),
                    QPointF(rect.left() + d, rect.bottom()),
                    QPointF(rect.left(), mid),
                ]
            )
        )
        path.closeSubpath()
    elif shape == "approval":
        c = 12.0  # cut corners: an octagon sets approval steps apart
        path.addPolygon(
            QPolygonF(
                [
                    QPointF(rect.left() + c, rect.top()),
                    QPointF(rect.right() - c, rect.top()),
                    QPointF(rect.right(), rect.top() + c),
                    QPointF(rect.right(), rect.bottom() - c),
                    QPointF(rect.right() - c, rect.bottom()),
                    QPointF(rect.left() + c, rect.bottom()),
                    QPointF(rect.left(), rect.bottom() - c),
                    QPointF(rect.left(), rect.top() + c),
                ]
            )
        )
        path.closeSubpath()
    else:
        path.addRoundedRect(rect, 4, 4)
    return path
