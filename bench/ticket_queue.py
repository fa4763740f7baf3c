"""The ticket queue at 100,000 tickets: open, filter as you type, sort, countdown tick and memory, in one process.

What is measured, with time.perf_counter, in this process, with a QApplication and a real QueueView shown at
1366x800 (QT_QPA_PLATFORM=offscreen unless set otherwise). Every step ends when the table is painted: Qt handles
what the step posted (QApplication.processEvents, up to 3 passes, which paints an exposed window), and if it has not
painted the table's viewport by then, a synchronous repaint() is forced. Forcing a repaint after Qt has painted would
count one paint twice, so the bench watches the viewport's paint events and reports how many repaints were forced.

- open: from `load_queue` on a fresh session to the rows painted after `QueueView.set_rows`; load_queue and
  set_rows+paint are reported apart; 5 runs, each into a newly created view (created and shown before the clock
  starts, the previous one deleted), median;
- filter keystroke: queries typed key by key into the search box (QTest.keyClick), the box cleared between them;
  each step from the key to the table repainted;
- sort: `QueueModel.sort` on client, title, due and priority, both orders, with all rows shown, + repaint;
- countdown tick: `QueueModel.tick` + repaint (and, for information, the view's whole `tick` slot, run by its timer);
- memory: peak RSS (ru_maxrss) and current RSS (VmRSS) once those are done, before the reference is built.

The reference, measured in the same run on the same rows: a minimal QAbstractTableModel whose data() returns the same
texts for the same 10 columns (computed once, up front, so the reference is as fast as a Python model gets), behind a
QSortFilterProxyModel filtering on every column, case-insensitively, in a QTableView of the same size as the queue's
table: the same keystrokes through setFilterFixedString, the same sorts through proxy.sort. When a reference step
takes more than 3 s, the reference runs only the first and last key of each query and the ascending sorts; the
ratios reference/ours compare the same steps.

The database (the demo's clients, sites, hosts and engineers, plus N tickets inserted with SQLAlchemy Core in one
transaction) is built in a temporary folder by a child process, so building it does not count in the peak RSS of the
measuring process. Numbers are informational: the issue's targets get PASS/FAIL, but the exit code is 0 unless
something fails to run (then 1). On a busy machine, compare with the reference of the same run.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/ticket_queue.py [--tickets N] [--json FILE]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import PySide6
import sqlalchemy
from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QEvent,
    QMessageLogContext,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractItemView, QApplication, QHeaderView, QTableView, QWidget
from sqlalchemy import func, insert, select

from supportstation.clock import utc_now
from supportstation.demo import populate
from supportstation.gui.main_window import FIRST_PAGE
from supportstation.gui.queue_model import QueueModel
from supportstation.gui.views.queue_view import COLUMN_WIDTHS, QueueView
from supportstation.storage import connect, sqlite_url
from supportstation.storage.database import Database
from supportstation.storage.enums import TicketSource, TicketStatus
from supportstation.storage.models import Client, Engineer, Host, Site, Ticket, ticket_host
from supportstation.tickets.labels import due_text, status_label
from supportstation.tickets.queue import QueueIndex, QueueRow, load_queue
from supportstation.tickets.sla_clocks import SlaState

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_TICKETS = 100_000
OPEN_RUNS = 5
TICK_RUNS = 15
WINDOW_SIZE = (1366, 800)
SEED = 20261123
QUERIES = ("serveur", "mairie", "srv-", "inc-2026-0004", "sauvegarde", "tilleuls")
SETTLE_PASSES = 3  # processEvents passes waiting for Qt to paint, before a forced repaint
REFERENCE_SLOW_S = 3.0  # a reference step slower than this: the reference measures fewer steps
TARGET_OPEN_S = 1.0
TARGET_FILTER_MEDIAN_S = 0.025
TARGET_SORT_S = 0.100
TARGET_PEAK_RSS_MB = 250.0

# --- the database (built by a child process) ------------------------------------------------------------------------

OBJECTS = [
    # what the ticket is about, and its category
    ("le serveur de fichiers", "Serveur"),
    ("le serveur de messagerie", "Messagerie et comptes"),
    ("le serveur d'impression", "Serveur"),
    ("l'imprimante du secrétariat", "Poste de travail"),
    ("l'imprimante d'étiquettes", "Poste de travail"),
    ("la sauvegarde nocturne", "Serveur"),
    ("le poste de la comptabilité", "Poste de travail"),
    ("l'ordinateur portable du directeur", "Poste de travail"),
    ("le switch de l'étage", "Réseau"),
    ("le pare-feu", "Réseau"),
    ("le VPN nomade", "Réseau"),
    ("le Wi-Fi invités", "Réseau"),
    ("la téléphonie IP", "Réseau"),
    ("la boîte mail partagée", "Messagerie et comptes"),
    ("le certificat du webmail", "Messagerie et comptes"),
    ("l'annuaire Active Directory", "Serveur"),
    ("le NAS", "Serveur"),
    ("l'onduleur de la baie", "Serveur"),
    ("la base de données métier", "Serveur"),
    ("le logiciel de paie", "Poste de travail"),
    ("le scanner réseau", "Poste de travail"),
    ("le lecteur de carte Vitale", "Poste de travail"),
]
TEMPLATES = [
    "{o} ne répond plus",
    "lenteurs sur {o}",
    "erreur d'authentification sur {o}",
    "mettre à jour {o}",
    "{o} redémarre en boucle",
    "alerte de supervision sur {o}",
    "remplacer {o}",
    "installer {o}",
    "panne : {o}",
    "incident intermittent sur {o}",
    "{o} affiche un message d'erreur",
    "renouveler la licence pour {o}",
]
CONTEXTS = [
    "",
    "",
    " depuis ce matin",
    " après la mise à jour de Windows",
    " (urgent)",
    " pour le service RH",
    " au 2e étage",
    " depuis le week-end",
    " : plusieurs utilisateurs touchés",
    " en salle de réunion",
    " suite à la coupure de courant",
    " après le déménagement",
    " — relancé par téléphone",
]
# Target SLA state of a ticket not waiting for the customer (those are paused), with weights.
SLA_TARGETS = {"on_track": 55, "at_risk": 15, "breached": 22, "none": 8}
ASSIGNED_STATUSES = {"assigned": 30, "in_progress": 40, "waiting_customer": 15, "waiting_third_party": 15}


def title_of(rng: random.Random) -> tuple[str, str]:
    subject, category = rng.choice(OBJECTS)
    text = rng.choice(TEMPLATES).format(o=subject) + rng.choice(CONTEXTS)
    return text[0].upper() + text[1:], category


def weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def clock(rng: random.Random, target: str, created: datetime, now: datetime) -> tuple[datetime | None, ...]:
    """A deadline and its warning instant that put one SLA clock in `target` state at `now`."""
    if target == "none":
        return None, None
    if target == "breached":
        deadline = created + (now - created) * rng.uniform(0.3, 0.99)
        return deadline, created + (deadline - created) * 0.8
    if target == "at_risk":
        deadline = now + timedelta(minutes=rng.uniform(5, 6 * 60))
        return deadline, now - (now - created) * rng.uniform(0.05, 0.5)
    deadline = now + timedelta(hours=rng.uniform(1, 15 * 24))
    return deadline, now + (deadline - now) * rng.uniform(0.2, 0.9)


def ticket_values(rng: random.Random, number: int, now: datetime, choices: dict[str, Any]) -> dict[str, Any]:
    client_id = rng.choice(choices["clients"])
    sites = choices["sites"].get(client_id, [])
    priority = rng.choices((1, 2, 3, 4), weights=(5, 20, 50, 25))[0]
    created = now - timedelta(minutes=rng.uniform(60, 60 * 24 * 60))
    assignee = rng.choice(choices["engineers"]) if rng.random() < 0.5 else None
    status = TicketStatus(weighted(rng, ASSIGNED_STATUSES)) if assignee else TicketStatus.NEW
    target = weighted(rng, SLA_TARGETS)
    owned_at = min(created + timedelta(minutes=rng.uniform(5, 120)), now) if assignee else None
    if owned_at is None:  # the clock to own the ticket runs; the one to resolve it ends later
        own_deadline, own_warning = clock(rng, target, created, now)
        resolve_deadline, resolve_warning = clock(rng, "on_track" if target != "none" else "none", created, now)
    else:
        own_deadline, own_warning = created + timedelta(hours=2 * priority), created + timedelta(hours=1.6 * priority)
        resolve_deadline, resolve_warning = clock(rng, target, created, now)
    paused = status is TicketStatus.WAITING_CUSTOMER
    title, category = title_of(rng)
    return {
        "id": number,
        "reference": f"INC-2026-{number:06d}",
        "title": title,
        "description": "",
        "client_id": client_id,
        "site_id": rng.choice(sites) if sites and rng.random() < 0.9 else None,
        "priority": priority,
        "status": status,
        "category": category,
        "assignee_id": assignee,
        "source": TicketSource.LOCAL,
        "created_at": created,
        "updated_at": created,
        "own_deadline": own_deadline,
        "own_warning_at": own_warning,
        "resolve_deadline": resolve_deadline,
        "resolve_warning_at": resolve_warning,
        "resolution": "",
        "owned_at": owned_at,
        "sla_paused_at": max(created, now - timedelta(minutes=rng.uniform(10, 5 * 24 * 60))) if paused else None,
    }


def build_database(path: Path, backups: Path, count: int) -> dict[str, Any]:
    """The demo's reference data, then `count` tickets and their host links, inserted with Core in one transaction."""
    started = time.perf_counter()
    database = connect(sqlite_url(path), backups=backups, create_missing=True)
    try:
        populate(database)
        rng = random.Random(SEED)
        now = utc_now()
        with database.engine.begin() as connection:
            choices: dict[str, Any] = {
                "clients": list(connection.scalars(select(Client.id).order_by(Client.id))),
                "engineers": list(connection.scalars(select(Engineer.id).order_by(Engineer.id))),
                "sites": {},
                "hosts": {},
            }
            for site_id, client_id in connection.execute(select(Site.id, Site.client_id).order_by(Site.id)):
                choices["sites"].setdefault(client_id, []).append(site_id)
            for host_id, client_id in connection.execute(select(Host.id, Host.client_id).order_by(Host.id)):
                choices["hosts"].setdefault(client_id, []).append(host_id)
            first = (connection.scalar(select(func.max(Ticket.id))) or 0) + 1
            tickets = [ticket_values(rng, number, now, choices) for number in range(first, first + count)]
            links = []
            for ticket in tickets:
                hosts = choices["hosts"].get(ticket["client_id"], [])
                if hosts and rng.random() < 1 / 3:
                    chosen = rng.sample(hosts, k=min(len(hosts), rng.randint(1, 3)))
                    links.extend({"ticket_id": ticket["id"], "host_id": host_id} for host_id in chosen)
            connection.execute(insert(Ticket), tickets)
            connection.execute(insert(ticket_host), links)
    finally:
        database.close()
    return {"tickets": count, "host_links": len(links), "build_s": time.perf_counter() - started}


def build_in_child(path: Path, backups: Path, count: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--tickets", str(count), "--build-database", str(path), str(backups)]
    result = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"building the database failed (exit code {result.returncode}):\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- measuring ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One keystroke: the character typed (None: the box is cleared) and the search text after it."""

    key: str | None
    text: str

    @property
    def label(self) -> str:
        return f"{self.text!r}" if self.key is not None else "(clear)"


def keystrokes(queries: Sequence[str]) -> list[Step]:
    steps = []
    for query in queries:
        steps.extend(Step(character, query[: position + 1]) for position, character in enumerate(query))
        steps.append(Step(None, ""))
    return steps


class PaintWatcher(QObject):
    """Counts the paint events a widget receives, to tell whether Qt painted it while handling its events."""

    def __init__(self, widget: QWidget):
        super().__init__(widget)
        self.widget = widget
        self.paints = 0
        self.forced = 0
        self.steps = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def timed(action: Callable[[], object], watcher: PaintWatcher, repainted: QWidget | None = None) -> float:
    """From the action to `watcher.widget` painted: Qt handles what the action posted (processEvents, which paints an
    exposed window; a view may paint only on the second pass, after its delayed layout), and if Qt has still not
    painted the widget, `repainted` (or the widget) is repainted synchronously. Forcing a repaint after Qt has
    already painted would count one paint twice."""
    paints = watcher.paints
    started = time.perf_counter()
    action()
    for _pass in range(SETTLE_PASSES):
        QApplication.processEvents()
        if watcher.paints != paints:
            break
    else:
        (repainted or watcher.widget).repaint()
        watcher.forced += 1
    finished = time.perf_counter()
    watcher.steps += 1
    if watcher.paints == paints:
        raise RuntimeError("the table was not painted after a measured step")
    return finished - started


def rss_now_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def memory() -> dict[str, float]:
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    return {"peak_rss_mb": peak_kb / 1024, "rss_mb": rss_now_kb() / 1024}


def new_view() -> QueueView:
    view = QueueView()
    view.resize(*WINDOW_SIZE)
    view.show()
    QApplication.processEvents()
    view.repaint()
    return view


def discard(widget: QWidget) -> None:
    widget.close()
    widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()


def open_once(database: Database) -> tuple[QueueView, dict[str, float], int]:
    """A new view shown (not timed), then what the app does: the first page (load_queue with a limit, then
    set_first_page, painted), then load_queue and the QueueIndex in its worker thread (timed here in this thread),
    then set_rows on the GUI thread until the whole queue is painted."""
    view = new_view()
    watcher = PaintWatcher(view.rows.table.viewport())
    started = time.perf_counter()
    with database.sessions() as session:
        page = load_queue(session, limit=FIRST_PAGE)
    first_shown = time.perf_counter()
    first_shown += timed(lambda: view.set_first_page(page), watcher, view)
    loading = time.perf_counter()
    with database.sessions() as session:
        rows = QueueIndex(load_queue(session), utc_now())
    loaded = time.perf_counter()
    shown = loaded + timed(lambda: view.set_rows(rows), watcher, view)
    return (
        view,
        {
            "first_page_s": first_shown - started,
            "load_queue_s": loaded - loading,
            "set_rows_paint_s": shown - loaded,
            "total_s": shown - started,
        },
        watcher.forced,
    )


def measure_open(database: Database) -> tuple[QueueView, list[dict[str, float]], dict[str, int]]:
    """Each run into a new view, as when the application starts; the last view is kept for what follows."""
    samples = []
    forced = 0
    view: QueueView | None = None
    for _run in range(OPEN_RUNS):
        if view is not None:
            discard(view)
            view = None  # the Python wrapper would keep the previous rows alive through the next open
        gc.collect()
        view, sample, forced_now = open_once(database)
        samples.append(sample)
        forced += forced_now
    assert view is not None
    return view, samples, {"steps": OPEN_RUNS, "forced": forced}


def measure_typing(view: QueueView, steps: Sequence[Step], watcher: PaintWatcher) -> tuple[list[float], dict[str, int]]:
    seconds, shown = [], {}
    for step in steps:
        key = step.key
        action = (lambda key=key: QTest.keyClick(view.search, key)) if key is not None else view.search.clear
        seconds.append(timed(action, watcher))
        if view.search.text() != step.text:
            raise RuntimeError(f"the search box shows {view.search.text()!r}, expected {step.text!r}")
        if step.text:
            shown[step.text] = view.model.rowCount()
    return seconds, shown


Sort = tuple[str, int, Qt.SortOrder]


def sorts() -> list[Sort]:
    columns = [("client", QueueModel.CLIENT), ("title", QueueModel.TITLE), ("due", QueueModel.DUE)]
    columns.append(("priority", QueueModel.PRIORITY))
    orders = [("asc", Qt.SortOrder.AscendingOrder), ("desc", Qt.SortOrder.DescendingOrder)]
    return [(f"{name} {order_name}", column, order) for name, column in columns for order_name, order in orders]


def measure_sorts(
    sort: Callable[[int, Qt.SortOrder], None], watcher: PaintWatcher, chosen: Sequence[Sort]
) -> list[float]:
    return [timed(lambda column=column, order=order: sort(column, order), watcher) for _name, column, order in chosen]


def measure_ticks(view: QueueView, watcher: PaintWatcher) -> tuple[list[float], list[float]]:
    model_ticks = [timed(lambda: view.model.tick(utc_now()), watcher) for _run in range(TICK_RUNS)]
    view_ticks = [timed(view.tick, watcher) for _run in range(max(3, TICK_RUNS // 3))]
    return model_ticks, view_ticks


# --- the reference --------------------------------------------------------------------------------------------------


def cell_texts(row: QueueRow, now: datetime) -> tuple[str | None, ...]:
    """The display texts of QueueModel's 10 columns, written out plainly."""
    return (
        None,
        f"P{row.priority}",
        row.reference,
        row.title,
        row.client,
        row.site,
        ", ".join(row.hosts),
        status_label(row.status),
        row.assignee or "—",
        due_text(row.clocks.next_deadline(), now),
    )


Index = QModelIndex | QPersistentModelIndex
DISPLAY = Qt.ItemDataRole.DisplayRole


class ReferenceModel(QAbstractTableModel):
    """Every cell's text computed once; data() only looks it up. No search string, no index list."""

    def __init__(self, texts: list[tuple[str | None, ...]], headers: list[str], parent: QObject):
        super().__init__(parent)
        self._texts = texts
        self._headers = headers

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._texts)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal and role == DISPLAY
        return self._headers[section] if horizontal else None

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        return self._texts[index.row()][index.column()] if role == DISPLAY else None


def check_same_texts(view: QueueView, texts: list[tuple[str | None, ...]]) -> None:
    model = view.model
    for row in range(min(200, model.rowCount())):
        ours = tuple(model.index(row, column).data() for column in range(model.columnCount()))
        if ours != texts[row]:
            raise RuntimeError(f"the reference texts differ from the queue's at row {row}: {ours} != {texts[row]}")


def reference_table(view: QueueView) -> tuple[QSortFilterProxyModel, QTableView]:
    """The same rows behind a QSortFilterProxyModel, in a QTableView looking like the queue's table."""
    ours = view.model
    rows = [ours.row_at(position) for position in range(ours.rowCount())]
    texts = [cell_texts(row, ours.now) for row in rows]
    check_same_texts(view, texts)
    headers = [ours.headerData(column, Qt.Orientation.Horizontal) for column in range(ours.columnCount())]
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(ReferenceModel(texts, headers, parent=proxy))
    proxy.setFilterKeyColumn(-1)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    table = QTableView()
    table.setModel(proxy)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(26)
    table.horizontalHeader().setStretchLastSection(False)
    for column, width in enumerate(COLUMN_WIDTHS):
        table.setColumnWidth(column, width)
    table.horizontalHeader().setSectionResizeMode(QueueModel.TITLE, QHeaderView.ResizeMode.Stretch)
    table.resize(view.rows.table.size())
    table.show()
    QApplication.processEvents()
    table.repaint()
    return proxy, table


def first_and_last_keys(steps: Sequence[Step]) -> list[int]:
    """The first and the last key of each query: its broadest and its narrowest filter."""
    ends = {index for index, step in enumerate(steps) if step.key is not None and len(step.text) == 1}
    ends |= {index for index, step in enumerate(steps) if step.text in QUERIES}
    return sorted(ends)


def measure_reference_typing(
    proxy: QSortFilterProxyModel, watcher: PaintWatcher, steps: Sequence[Step]
) -> tuple[list[int], list[float], dict[str, int]]:
    """The first and last key of each query first; the other steps too unless one of those took over
    REFERENCE_SLOW_S. setFilterFixedString sets the whole filter, so the steps need not run in order."""
    seconds: dict[int, float] = {}
    shown: dict[str, int] = {}

    def step(index: int) -> None:
        text = steps[index].text
        seconds[index] = timed(lambda: proxy.setFilterFixedString(text), watcher)
        if text:
            shown[text] = proxy.rowCount()

    for index in first_and_last_keys(steps):
        step(index)
    if max(seconds.values()) <= REFERENCE_SLOW_S:
        for index in range(len(steps)):
            if index not in seconds:
                step(index)
    proxy.setFilterFixedString("")
    indexes = sorted(seconds)
    return indexes, [seconds[index] for index in indexes], shown


def measure_reference_sorts(proxy: QSortFilterProxyModel, watcher: PaintWatcher) -> tuple[list[Sort], list[float]]:
    """Both orders, unless the first sort is slower than REFERENCE_SLOW_S: then ascending only."""
    chosen = sorts()
    first = measure_sorts(proxy.sort, watcher, chosen[:1])
    if first[0] > REFERENCE_SLOW_S:
        chosen = chosen[::2]
    seconds = first + measure_sorts(proxy.sort, watcher, chosen[1:])
    proxy.sort(-1)
    return chosen, seconds


# --- report ---------------------------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:9.1f} ms"


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def stats(values: Sequence[float]) -> dict[str, float]:
    return {
        "median_s": statistics.median(values),
        "p90_s": percentile(values, 0.9),
        "min_s": min(values),
        "max_s": max(values),
    }


def print_stats(name: str, values: Sequence[float], keys: Sequence[str] = ("median_s", "p90_s", "max_s")) -> None:
    figures = stats(values)
    columns = "  ".join(f"{key.removesuffix('_s')} {ms(figures[key])}" for key in keys)
    print(f"  {name:<34} {columns}   (n={len(values)})")


def print_open(samples: list[dict[str, float]]) -> dict[str, Any]:
    print(f"open: load_queue + QueueIndex (the app's worker thread) -> set_rows -> painted (GUI thread); "
          f"{len(samples)} runs, each into a new view")  # fmt: skip
    summary = {}
    for key, name in (("first_page_s", f"first {FIRST_PAGE} most urgent shown"),
                      ("load_queue_s", "worker: load_queue + index"), ("set_rows_paint_s", "GUI: set_rows + paint"),
                      ("total_s", "whole queue shown")):  # fmt: skip
        values = [sample[key] for sample in samples]
        print_stats(name, values, ("median_s", "min_s", "max_s"))
        summary[key] = {**stats(values), "samples_s": values}
    print("  runs (total):      " + " ".join(ms(sample["total_s"]).strip() for sample in samples))
    return summary


def print_typing(steps: Sequence[Step], ours: list[float], indexes: list[int], reference: list[float]) -> float:
    print(f"filter keystroke: {len(steps)} steps (queries {', '.join(QUERIES)}, each followed by a clear)")
    print_stats("ours, all steps", ours)
    print_stats("ours, typed keys only", [s for step, s in zip(steps, ours, strict=True) if step.key is not None])
    slowest = sorted(range(len(steps)), key=lambda index: -ours[index])[:3]
    print("  ours, slowest steps: " + ", ".join(f"{steps[i].label} {ms(ours[i]).strip()}" for i in slowest))
    subset = "all steps" if len(indexes) == len(steps) else f"{len(indexes)} of {len(steps)} steps"
    print_stats(f"reference ({subset})", reference)
    if len(indexes) != len(steps):
        print(f"  (a reference step took over {REFERENCE_SLOW_S:g} s, so the reference ran only the first and last")
        print("   key of each query: " + " ".join(steps[index].label for index in indexes) + ")")
    same = [ours[index] for index in indexes]
    print_stats("ours, on the same steps", same)
    ratio = statistics.median(reference) / statistics.median(same)
    print(f"  ratio reference/ours (medians, same steps): {ratio:.1f}")
    return ratio


def print_shown(ours: dict[str, int], reference: dict[str, int]) -> None:
    print("rows shown at the end of each query (ours / reference; the reference also matches status, due... texts):")
    for query in QUERIES:
        print(f"  {query!r:<18} {ours.get(query, '-'):>7} / {reference.get(query, '-')}")


def print_sorts(chosen: list[Sort], ours: list[float], reference_chosen: list[Sort], reference: list[float]) -> float:
    print("sort: all rows shown, + repaint")
    for (name, _column, _order), seconds in zip(chosen, ours, strict=True):
        mark = next((ms(r) for (n, _c, _o), r in zip(reference_chosen, reference, strict=True) if n == name), "")
        print(f"  {name:<16} ours {ms(seconds)}   reference {mark or '(not run)'}")
    print_stats("ours", ours, ("median_s", "max_s"))
    print_stats("reference", reference, ("median_s", "max_s"))
    same = [
        seconds
        for (name, _c, _o), seconds in zip(chosen, ours, strict=True)
        if name in {n for n, _, _ in reference_chosen}
    ]
    ratio = statistics.median(reference) / statistics.median(same)
    print(f"  ratio reference/ours (medians, same sorts): {ratio:.1f}")
    return ratio


def verdict(name: str, value: str, passed: bool) -> dict[str, Any]:
    print(f"  {name:<44} {value:<22} {'PASS' if passed else 'FAIL'}")
    return {"target": name, "value": value, "passed": passed}


def print_targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    first_s = report["open"]["first_page_s"]["median_s"]
    open_s = report["open"]["total_s"]["median_s"]
    filter_s = report["filter"]["ours"]["median_s"]
    sort_s = report["sort"]["ours"]["max_s"]
    peak = report["memory"]["after_ours"]["peak_rss_mb"]
    print()
    print(f"Targets (issue), at {report['tickets']:,} tickets:")
    return [
        verdict(f"open <= {TARGET_OPEN_S:g} s (first page shown)", f"{first_s:.3f} s", first_s <= TARGET_OPEN_S),
        verdict(f"open <= {TARGET_OPEN_S:g} s (whole queue shown)", f"{open_s:.3f} s", open_s <= TARGET_OPEN_S),
        verdict(
            f"filter keystroke <= {TARGET_FILTER_MEDIAN_S * 1000:g} ms (median)",
            f"{filter_s * 1000:.1f} ms",
            filter_s <= TARGET_FILTER_MEDIAN_S,
        ),
        verdict(
            f"sort <= {TARGET_SORT_S * 1000:g} ms (slowest sort)", f"{sort_s * 1000:.1f} ms", sort_s <= TARGET_SORT_S
        ),
        verdict(f"peak RSS <= {TARGET_PEAK_RSS_MB:g} MB", f"{peak:.0f} MB", peak <= TARGET_PEAK_RSS_MB),
    ]


# --- main -----------------------------------------------------------------------------------------------------------


def quiet_offscreen_warnings() -> None:
    """The offscreen platform warns, for every window shown, that it does not support propagateSizeHints: noise."""

    def handler(_kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        if "propagateSizeHints" not in message:
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def sla_states(view: QueueView) -> dict[str, int]:
    now = view.model.now
    counts = Counter(row.sla_state(now) for row in view.model.all_rows())
    return {state.value: counts.get(state, 0) for state in SlaState}


def benchmark(arguments: argparse.Namespace, folder: Path) -> dict[str, Any]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    started = time.perf_counter()
    built = build_in_child(folder / "queue.db", folder / "backups", arguments.tickets)
    setup_s = time.perf_counter() - started
    print(f"Ticket queue at {arguments.tickets:,} tickets (plus the demo's open ones)")
    print(
        f"Python {sys.version.split()[0]}, PySide6 {PySide6.__version__}, SQLAlchemy {sqlalchemy.__version__}, "
        f"{os.cpu_count()} CPUs, QT_QPA_PLATFORM={os.environ['QT_QPA_PLATFORM']}, load average "
        + " ".join(f"{load:.2f}" for load in os.getloadavg())
    )
    print(
        f"setup (not a target): {setup_s:.1f} s in a child process ({built['build_s']:.1f} s inside it): "
        f"{built['tickets']:,} tickets inserted, {built['host_links']:,} ticket-host links"
    )
    quiet_offscreen_warnings()
    application = QApplication.instance() or QApplication(sys.argv[:1])

    database = connect(sqlite_url(folder / "queue.db"), backups=folder / "backups", create_missing=False)
    try:
        return measure_everything(database, arguments.tickets, setup_s)
    finally:
        database.close()
        application.processEvents()


def measure_everything(database: Database, tickets: int, setup_s: float) -> dict[str, Any]:
    report: dict[str, Any] = {"tickets": tickets, "setup_s": setup_s, "cpus": os.cpu_count()}
    view, open_samples, open_paints = measure_open(database)
    report["memory"] = {"after_open": memory()}
    print(f"SLA states in the queue now: {sla_states(view)} ({view.model.total_rows():,} open tickets)")
    print()
    report["open"] = print_open(open_samples)
    ours = PaintWatcher(view.rows.table.viewport())
    steps = keystrokes(QUERIES)
    gc.collect()
    typing, shown = measure_typing(view, steps, ours)
    gc.collect()
    chosen = sorts()
    sorting = measure_sorts(view.model.sort, ours, chosen)
    view.model.sort(-1, Qt.SortOrder.AscendingOrder)
    model_ticks, view_ticks = measure_ticks(view, ours)
    report["memory"]["after_ours"] = memory()
    gc.collect()
    proxy, table = reference_table(view)
    theirs = PaintWatcher(table.viewport())
    indexes, reference_typing, reference_shown = measure_reference_typing(proxy, theirs, steps)
    gc.collect()
    reference_chosen, reference_sorting = measure_reference_sorts(proxy, theirs)
    report["memory"]["after_reference"] = memory()
    report["forced_repaints"] = {
        "open": open_paints,
        "ours": {"steps": ours.steps, "forced": ours.forced},
        "reference": {"steps": theirs.steps, "forced": theirs.forced},
    }
    print()
    filter_ratio = print_typing(steps, typing, indexes, reference_typing)
    print_shown(shown, reference_shown)
    print()
    sort_ratio = print_sorts(chosen, sorting, reference_chosen, reference_sorting)
    print()
    print("countdown tick:")
    print_stats("QueueModel.tick + repaint", model_ticks, ("median_s", "max_s"))
    print_stats("QueueView.tick (the timer's slot)", view_ticks, ("median_s", "max_s"))
    print()
    print_memory(report["memory"])
    report["filter"] = {
        "steps": [step.label for step in steps],
        "ours": {**stats(typing), "samples_s": typing},
        "reference_steps": indexes,
        "reference": {**stats(reference_typing), "samples_s": reference_typing},
        "ratio_reference_over_ours": filter_ratio,
        "rows_shown": {"ours": shown, "reference": reference_shown},
    }
    report["sort"] = {
        "sorts": [name for name, _c, _o in chosen],
        "ours": {**stats(sorting), "samples_s": sorting},
        "reference_sorts": [name for name, _c, _o in reference_chosen],
        "reference": {**stats(reference_sorting), "samples_s": reference_sorting},
        "ratio_reference_over_ours": sort_ratio,
    }
    report["tick"] = {"model": stats(model_ticks), "view": stats(view_ticks)}
    print()
    print(
        f"paints: Qt painted the table within {SETTLE_PASSES} processEvents passes in all but "
        f"{open_paints['forced']}/{open_paints['steps']} opens, {ours.forced}/{ours.steps} of our steps and "
        f"{theirs.forced}/{theirs.steps} reference steps, which were then repainted synchronously"
    )
    report["targets"] = print_targets(report)
    table.close()
    discard(view)
    return report


def print_memory(figures: dict[str, dict[str, float]]) -> None:
    print("memory (MB):                        peak RSS   current RSS")
    for stage, name in (("after_open", "after the 5 opens"), ("after_ours", "after filter/sort/tick (target)")):
        print(f"  {name:<32} {figures[stage]['peak_rss_mb']:9.0f} {figures[stage]['rss_mb']:13.0f}")
    after = figures["after_reference"]
    print(f"  {'after the reference too':<32} {after['peak_rss_mb']:9.0f} {after['rss_mb']:13.0f}")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tickets", type=int, default=DEFAULT_TICKETS, help=f"tickets (default {DEFAULT_TICKETS})")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write all numbers as JSON to FILE")
    parser.add_argument("--build-database", nargs=2, type=Path, metavar=("DB", "BACKUPS"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.tickets < 1:
        parser.error("--tickets must be at least 1")
    return arguments


def main() -> int:
    arguments = parse_arguments()
    if arguments.build_database:
        print(json.dumps(build_database(*arguments.build_database, arguments.tickets)))
        return 0
    folder = Path(tempfile.mkdtemp(prefix="supportstation-bench-queue-"))
    try:
        report = benchmark(arguments, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if arguments.json:
        arguments.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())  # an exception exits with 1: a failure to run is the only non-zero exit
