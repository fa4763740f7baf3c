"""The demo database: realistic French clients, sites, hosts and tickets, in a file of its own.

Deadlines are placed relative to the moment the demo is created, so the queue always shows tickets on track, at
risk and breached. A user's own database is never touched: the demo lives in `data/demo/`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from supportstation import paths
from supportstation.settings import EngineerProfile
from supportstation.storage import connect, sqlite_url
from supportstation.storage.database import Database
from supportstation.storage.models import (
    Client,
    Contact,
    CredentialKind,
    CredentialRef,
    Engineer,
    Host,
    HostTransport,
    Intervention,
    Site,
    Ticket,
    TicketStatus,
    TimeEntry,
    TimelineEvent,
)
from supportstation.storage.types import utc_now

# The profile offered at first start in demo mode, so that "my tickets" means something straight away.
DEMO_PROFILE = EngineerProfile(
    name="Camille Martin",
    email="camille.martin@exemple.fr",
    phone="+33 6 12 34 56 78",
    signature_block="Camille Martin\nIngénieure support — Atelier Numérique Services",
    language="fr",
)

_CLIENTS = [
    # name, contract, sites: (name, address, access notes)
    (
        "Boulangeries Lemaire SARL",
        "standard",
        [
            ("Siège — Lyon 3e", "12 rue Paul Bert, 69003 Lyon", "Badge à l'accueil, demander M. Lemaire."),
            ("Atelier de Vénissieux", "4 avenue Jean Jaurès, 69200 Vénissieux", "Baie réseau dans le local froid."),
        ],
    ),
    (
        "Cabinet médical des Tilleuls",
        "premium",
        [("Cabinet", "8 place des Tilleuls, 38000 Grenoble", "Intervenir entre deux consultations.")],
    ),
    (
        "Mairie de Saint-Aubin-sur-Loire",
        "collectivité",
        [
            ("Hôtel de ville", "1 place de la Mairie, 49170 Saint-Aubin-sur-Loire", "Salle serveur au sous-sol."),
            ("École Jules Ferry", "3 rue des Écoles, 49170 Saint-Aubin-sur-Loire", "Hors temps scolaire."),
        ],
    ),
    (
        "Transports Giraud & Fils",
        "premium",
        [("Plateforme logistique", "ZA des Gravières, 69960 Corbas", "Chaussures de sécurité obligatoires.")],
    ),
    (
        "Études Notariales Bernard-Roux",
        "standard",
        [("Office", "27 cours Lafayette, 69006 Lyon", "Confidentialité : ne pas laisser d'écran allumé.")],
    ),
]

_CONTACTS = [
    # client index, site index, name, role, phone, e-mail
    (0, 0, "Jérôme Lemaire", "Gérant", "+33 4 78 60 12 34", "j.lemaire@boulangeries-lemaire.fr"),
    (0, 1, "Sandrine Petit", "Responsable atelier", "+33 4 72 50 98 76", "s.petit@boulangeries-lemaire.fr"),
    (1, 0, "Dr Hélène Fabre", "Médecin associée", "+33 4 76 44 55 66", "secretariat@cabinet-tilleuls.fr"),
    (2, 0, "Marc Delorme", "Secrétaire général", "+33 2 41 77 00 11", "informatique@saint-aubin-sur-loire.fr"),
    (2, 1, "Nadia Benali", "Directrice d'école", "+33 2 41 77 00 42", "ecole.ferry@saint-aubin-sur-loire.fr"),
    (3, 0, "Thierry Giraud", "Directeur d'exploitation", "+33 4 78 90 11 22", "t.giraud@transports-giraud.fr"),
    (4, 0, "Maître Claire Bernard", "Notaire associée", "+33 4 78 24 33 44", "c.bernard@notaires-br.fr"),
]

DEVICE_TRANSPORTS = ("cisco-ios", "redfish")  # the first-party plugins' transports the demo's gear uses
_HOSTS = [
    # client, site, name, address, os, vendor, transport (ssh, winrm, or a plugin's: cisco-ios, redfish), tags
    (0, 0, "srv-lemaire-01", "10.10.1.10", "linux", "", "ssh", ["serveur", "fichiers"]),
    (0, 0, "pc-compta", "10.10.1.51", "windows", "", "winrm", ["poste"]),
    (0, 1, "sw-atelier", "10.10.2.2", "network", "cisco", "cisco-ios", ["réseau"]),
    (1, 0, "nas-tilleuls", "192.168.10.5", "linux", "synology", "ssh", ["stockage", "sauvegarde"]),
    (1, 0, "pc-secretariat", "192.168.10.21", "windows", "", "winrm", ["poste"]),
    (1, 0, "srv-dossiers", "192.168.10.2", "windows", "", "winrm", ["serveur", "dossiers-patients"]),
    (2, 0, "srv-mairie", "172.20.0.10", "linux", "", "ssh", ["serveur", "annuaire"]),
    (2, 0, "idrac-srv-mairie", "172.20.0.110", "bmc", "dell", "redfish", ["bmc"]),
    (2, 0, "sw-coeur", "172.20.0.2", "network", "cisco", "cisco-ios", ["réseau", "cœur"]),
    (2, 1, "pc-direction-ecole", "172.20.1.30", "windows", "", "winrm", ["poste"]),
    (3, 0, "srv-tms", "10.50.0.20", "linux", "", "ssh", ["serveur", "métier"]),
    (3, 0, "ilo-srv-tms", "10.50.0.120", "bmc", "hpe", "redfish", ["bmc"]),
    (3, 0, "pc-quai-3", "10.50.3.13", "windows", "", "winrm", ["poste", "quai"]),
    (4, 0, "srv-office", "192.168.1.5", "windows", "", "winrm", ["serveur", "actes"]),
    (4, 0, "fw-office", "192.168.1.1", "network", "", "ssh", ["pare-feu"]),
]

# What an engineer writes down about a host after a first visit.
_HOST_NOTES = {
    "srv-lemaire-01": "Sauvegarde nocturne à 23 h vers le NAS du siège ; ne pas redémarrer avant 23 h 30.",
    "sw-coeur": "Baie informatique au sous-sol, clé à l'accueil. Port 24 : liaison vers l'école.",
    "nas-tilleuls": "DSM 7.2. Les dossiers patients sont chiffrés : ne jamais les déplacer.",
    "fw-office": "Accès d'administration depuis le réseau interne uniquement.",
}

_ENGINEERS = [
    ("Camille Martin", "camille.martin@exemple.fr", "+33 6 12 34 56 78"),
    ("Julien Moreau", "julien.moreau@exemple.fr", "+33 6 98 76 54 32"),
]

_TICKETS = [
    # client, site, contact, priority, status, title, description, hosts, assignee, hours since creation,
    # hours until the resolve deadline (negative: breached)
    (
        1,
        0,
        2,
        1,
        TicketStatus.IN_PROGRESS,
        "Serveur de dossiers patients injoignable",
        "Plus aucun poste n'accède au partage des dossiers patients depuis 8 h. Consultations en cours.",
        ["srv-dossiers", "pc-secretariat"],
        0,
        3,
        1,
    ),
    (
        3,
        0,
        5,
        1,
        TicketStatus.ASSIGNED,
        "TMS arrêté : les quais ne peuvent plus éditer les bons",
        "L'application de gestion des transports ne répond plus. Camions en attente au quai 3.",
        ["srv-tms", "ilo-srv-tms", "pc-quai-3"],
        0,
        5,
        -1,
    ),
    (
        2,
        0,
        3,
        2,
        TicketStatus.NEW,
        "Disque dégradé sur le serveur de la mairie",
        "Alerte iDRAC : un disque du RAID 5 est signalé en prédéfaillance.",
        ["srv-mairie", "idrac-srv-mairie"],
        None,
        2,
        10,
    ),
    (
        0,
        1,
        1,
        2,
        TicketStatus.WAITING_CUSTOMER,
        "Port du switch de l'atelier en erreur",
        "Le terminal de pesée perd la connexion plusieurs fois par heure. En attente d'un créneau atelier.",
        ["sw-atelier"],
        0,
        20,
        6,
    ),
    (
        4,
        0,
        6,
        2,
        TicketStatus.IN_PROGRESS,
        "Sauvegarde nocturne en échec depuis 3 jours",
        "Le rapport de sauvegarde indique « accès refusé » sur le volume des actes.",
        ["srv-office"],
        1,
        30,
        2,
    ),
    (
        1,
        0,
        2,
        3,
        TicketStatus.NEW,
        "Installer le nouveau lecteur de carte Vitale",
        "Lecteur reçu, à installer sur le poste du secrétariat.",
        ["pc-secretariat"],
        None,
        4,
        40,
    ),
    (
        2,
        1,
        4,
        3,
        TicketStatus.ASSIGNED,
        "Poste de la direction très lent au démarrage",
        "Plus de 10 minutes avant l'ouverture de session.",
        ["pc-direction-ecole"],
        0,
        26,
        14,
    ),
    (
        0,
        0,
        0,
        3,
        TicketStatus.WAITING_THIRD_PARTY,
        "Renouvellement du certificat du webmail",
        "En attente du registrar pour la validation DNS.",
        ["srv-lemaire-01"],
        1,
        72,
        30,
    ),
    (
        3,
        0,
        5,
        3,
        TicketStatus.IN_PROGRESS,
        "Imprimante du quai 3 hors ligne",
        "L'imprimante d'étiquettes n'apparaît plus sur le poste du quai 3.",
        ["pc-quai-3"],
        0,
        50,
        -3,
    ),
    (
        4,
        0,
        6,
        4,
        TicketStatus.NEW,
        "Mettre à jour le firmware du pare-feu",
        "Version 7.2.4 disponible, correctif de sécurité.",
        ["fw-office"],
        None,
        10,
        150,
    ),
    (
        2,
        0,
        3,
        4,
        TicketStatus.ASSIGNED,
        "Inventaire des postes pour le budget 2027",
        "Lister les postes de plus de 5 ans.",
        ["srv-mairie"],
        1,
        100,
        200,
    ),
    (
        0,
        0,
        0,
        4,
        TicketStatus.NEW,
        "Ajouter une boîte mail pour la saisonnière",
        "Arrivée prévue le 1er décembre.",
        [],
        None,
        6,
        120,
    ),
    (
        1,
        0,
        2,
        2,
        TicketStatus.RESOLVED,
        "NAS : alerte de température",
        "Ventilateur du NAS encrassé.",
        ["nas-tilleuls"],
        0,
        120,
        48,
    ),
    (
        2,
        0,
        3,
        3,
        TicketStatus.CLOSED,
        "Création des comptes des nouveaux élus",
        "Cinq comptes et boîtes mail.",
        ["srv-mairie"],
        1,
        400,
        -200,
    ),
    (3, 0, 5, 4, TicketStatus.CLOSED, "Remplacer la souris du poste quai 3", "", ["pc-quai-3"], 0, 300, -150),
    (
        2,
        0,
        3,
        3,
        TicketStatus.ASSIGNED,
        "VLAN des caméras sur le switch de cœur",
        "Installation de la vidéoprotection : créer le VLAN 140 « CAMERAS » sur le switch de cœur et y passer le port"
        " Gi0/12. Sauvegarder la configuration avant et après. Vérifier au passage l'état du serveur (iDRAC).",
        ["sw-coeur", "idrac-srv-mairie"],
        0,
        6,
        30,
    ),
]


def populate(database: Database) -> None:
    """Fills an empty database with the demo data."""
    now = utc_now()
    with database.session() as session:
        engineers = [Engineer(name=name, email=email, phone=phone) for name, email, phone in _ENGINEERS]
        session.add_all(engineers)
        clients: list[Client] = []
        sites: list[list[Site]] = []
        for name, contract, client_sites in _CLIENTS:
            client = Client(name=name, contract=contract, time_zone="Europe/Paris")
            client.sites = [Site(name=s, address=a, access_notes=n) for s, a, n in client_sites]
            clients.append(client)
            sites.append(client.sites)
        session.add_all(clients)
        contacts = [
            Contact(client=clients[c], site=sites[c][s], name=name, role=role, phone=phone, email=email)
            for c, s, name, role, phone, email in _CONTACTS
        ]
        session.add_all(contacts)
        credential = CredentialRef(
            label="Compte d'intervention (démo)",
            kind=CredentialKind.PASSWORD,
            username="support",
            vault_key="demo/intervention",
        )
        session.add(credential)
        hosts: dict[str, Host] = {}
        for c, s, name, address, os_family, vendor, transport, tags in _HOSTS:
            hosts[name] = Host(
                client=clients[c],
                site=sites[c][s],
                name=name,
                address=address,
                os_family=os_family,
                vendor=vendor,
                transport=HostTransport.DEVICE if transport in DEVICE_TRANSPORTS else HostTransport(transport),
                device_transport=transport if transport in DEVICE_TRANSPORTS else "",
                tags=tags,
                credential=credential,
                notes=_HOST_NOTES.get(name, ""),
            )
        session.add_all(hosts.values())
        session.flush()
        on_site: set[Engineer] = set()  # engineers with an intervention under way
        for number, row in enumerate(_TICKETS, start=1):
            c, s, contact, priority, status, title, description, host_names, assignee, age_h, due_h = row
            created = now - timedelta(hours=age_h)
            ticket = Ticket(
                reference=f"INC-2026-{1040 + number:05d}",
                title=title,
                description=description,
                client=clients[c],
                site=sites[c][s],
                contact=contacts[contact],
                priority=priority,
                status=status,
                category=_category(title),
                assignee=engineers[assignee] if assignee is not None else None,
                created_at=created,
                updated_at=created,
                own_deadline=created + timedelta(hours=2 * priority),
                resolve_deadline=now + timedelta(hours=due_h),
                hosts=[hosts[name] for name in host_names],
            )
            _set_clocks(ticket, created, now, assigned=assignee is not None)
            if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
                ticket.resolved_at = created + timedelta(hours=age_h / 2)
                ticket.resolution = "Intervention réalisée, fonctionnement vérifié avec le client."
            session.add(ticket)
            _add_history(ticket, engineers[assignee] if assignee is not None else None, created, now, on_site)
            if ticket.reference == WORKED_TICKET and ticket.interventions:
                # A finished intervention with commands, output, a part and travel: the one to draft a report from.
                from supportstation.demo_work import add_nas_intervention

                session.flush()
                add_nas_intervention(session, ticket, ticket.interventions[0])


def _set_clocks(ticket: Ticket, created: datetime, now: datetime, *, assigned: bool) -> None:
    """Warning instants at 80 % of each clock in real time: the demo shows every SLA state whatever the hour."""
    assert ticket.own_deadline is not None and ticket.resolve_deadline is not None
    ticket.own_warning_at = ticket.own_deadline - (ticket.own_deadline - created) * 0.2
    ticket.resolve_warning_at = ticket.resolve_deadline - (ticket.resolve_deadline - created) * 0.2
    if assigned or ticket.status != TicketStatus.NEW:
        ticket.owned_at = created + timedelta(minutes=12)
    if ticket.status == TicketStatus.WAITING_CUSTOMER:
        ticket.sla_paused_at = now - timedelta(hours=2)


# The resolved ticket whose intervention has recorded work (supportstation/demo_work.py).
WORKED_TICKET = "INC-2026-01053"


def _category(title: str) -> str:
    lowered = title.lower()
    if any(word in lowered for word in ("switch", "pare-feu", "port")):
        return "Réseau"
    if any(word in lowered for word in ("serveur", "disque", "nas", "sauvegarde", "tms")):
        return "Serveur"
    if any(word in lowered for word in ("mail", "comptes", "certificat")):
        return "Messagerie et comptes"
    return "Poste de travail"


def _add_history(
    ticket: Ticket, engineer: Engineer | None, created: datetime, now: datetime, on_site: set[Engineer]
) -> None:
    """The ticket's past. An engineer has one intervention under way at a time (the app refuses a second one), so
    only the first ticket in progress of each engineer has one open; the others' are over (`on_site`: who is busy)."""
    ticket.timeline.append(
        TimelineEvent(created_at=created, kind="created", summary="Ticket créé", body=ticket.description)
    )
    if engineer is not None:
        ticket.timeline.append(
            TimelineEvent(
                created_at=created + timedelta(minutes=12),
                kind="status",
                author=engineer,
                summary=f"Assigné à {engineer.name}",
                data={"to": "assigned"},
            )
        )
    if ticket.status in (TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, TicketStatus.CLOSED) and engineer:
        started = max(created + timedelta(minutes=40), now - timedelta(hours=2))
        intervention = Intervention(engineer=engineer, started_at=started, on_site=True)
        under_way = ticket.status == TicketStatus.IN_PROGRESS and engineer not in on_site
        if under_way:
            on_site.add(engineer)
            # Under way: its clock is running, as if started from the workspace.
            intervention.time_entries = [TimeEntry(category="on_site", started_at=started, automatic=True)]
        else:
            intervention.ended_at = started + timedelta(minutes=95)
            intervention.summary = ticket.resolution or ""
            intervention.time_entries = [
                TimeEntry(category="travel", started_at=started, minutes=35, description="Aller"),
                TimeEntry(
                    category="on_site", started_at=started + timedelta(minutes=35), minutes=25, description="Diagnostic"
                ),
                TimeEntry(
                    category="on_site", started_at=started + timedelta(minutes=60), minutes=35, description="Réparation"
                ),
            ]
        ticket.interventions.append(intervention)
        ticket.timeline.append(
            TimelineEvent(
                created_at=started,
                kind="intervention_started",
                author=engineer,
                summary="Début d'intervention sur site",
            )
        )
        ticket.timeline.append(
            TimelineEvent(
                created_at=started + timedelta(minutes=5),
                kind="note",
                author=engineer,
                summary="Constat",
                body="Symptômes confirmés avec le contact sur place.",
            )
        )


def is_empty(database: Database) -> bool:
    from sqlalchemy import func, select

    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Ticket)) == 0


def reset(app_paths: paths.AppPaths) -> Path:
    """Deletes and recreates the demo database; only the demo folder is touched."""
    path = app_paths.demo_database_file
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    database = connect(sqlite_url(path), backups=app_paths.backups, create_missing=True)
    try:
        populate(database)
    finally:
        database.close()
    return path
