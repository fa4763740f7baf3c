"""What a Dell iDRAC 9 serves that sushy-tools' emulator does not: its system event log (SEL) and Lifecycle log, its
firmware inventory and its chassis' power supplies (one of which has lost its input), as iDRAC 9 shapes them."""

from __future__ import annotations

import datetime
from typing import Any

SYSTEM_UUID = "4c4c4544-0047-3510-8052-b4c04f4d5132"  # Dell system UUIDs start with 4c4c4544, "DELL"
SYSTEM_NAME = "System.Embedded.1"
CHASSIS_ID = "System.Embedded.1"
CHASSIS_UUID = "4c4c4544-0047-3510-8052-b4c04f4d5133"
IDRAC_MANAGER_ID = "iDRAC.Embedded.1"
SEL_ENTRY_COUNT = 60
SEL_PAGE_SIZE = 50

Json = dict[str, Any]

# (severity, sensor type, message id, message), cycled over the SEL; the newest entry is _NEWEST_SEL_EVENT.
_SEL_EVENTS = (
    ("OK", "Event Logging Disabled", "SEL0001", "Log cleared."),
    ("OK", "System Event", "SEL1204", "The system was powered on by the front panel button."),
    ("Warning", "Memory", "MEM8000", "Correctable memory error logging disabled for a memory device at DIMM_A3."),
    ("Warning", "Temperature", "TMP0118", "The system inlet temperature is greater than the upper warning threshold."),
    ("OK", "Temperature", "TMP0119", "The system inlet temperature is within range."),
    ("Critical", "Fan", "FAN0001", "Fan 3A RPM is less than the lower critical threshold."),
    ("OK", "Fan", "FAN0000", "Fan 3A RPM is within range."),
    ("OK", "OS Boot", "OSE1001", "The operating system was booted by the system."),
)
_NEWEST_SEL_EVENT = ("Critical", "Power Supply", "PSU0003", "The input power for power supply 2 is lost.")
_SEL_START = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=-5)))


def sel_entry(number: int, manager_id: str) -> Json:
    """Entry `number` (1 = oldest) of the iDRAC SEL, as iDRAC 9 shows it."""
    severity, sensor, message_id, message = (
        _NEWEST_SEL_EVENT if number == SEL_ENTRY_COUNT else _SEL_EVENTS[(number - 1) % len(_SEL_EVENTS)]
    )
    created = _SEL_START + datetime.timedelta(hours=7 * (number - 1), minutes=number)
    return {
        "@odata.id": f"/redfish/v1/Managers/{manager_id}/LogServices/Sel/Entries/{number}",
        "@odata.type": "#LogEntry.v1_15_0.LogEntry",
        "Created": created.isoformat(),
        "Description": f"Log Entry {number}",
        "EntryCode": "Assert",
        "EntryType": "SEL",
        "GeneratorId": "0x0020",
        "Id": str(number),
        "Links": {},
        "Message": message,
        "MessageArgs": [],
        "MessageId": f"IDRAC.2.9.{message_id}",
        "Name": f"Log Entry {number}",
        "SensorNumber": 100 + number % 20,
        "SensorType": sensor,
        "Severity": severity,
    }


def lclog_entry(number: int, manager_id: str) -> Json:
    created = _SEL_START + datetime.timedelta(days=number)
    return {
        "@odata.id": f"/redfish/v1/Managers/{manager_id}/LogServices/Lclog/Entries/{number}",
        "@odata.type": "#LogEntry.v1_15_0.LogEntry",
        "Created": created.isoformat(),
        "EntryType": "Oem",
        "Id": str(number),
        "Message": "Successfully logged in using root, from 192.0.2.10 and REDFISH.",
        "MessageId": "IDRAC.2.9.USR0030",
        "Name": "Log Entry",
        "OemRecordFormat": "Dell",
        "Severity": "OK",
    }


LOG_SERVICES: dict[str, Json] = {
    "Sel": {
        "Name": "SEL Log Service",
        "Description": "SEL Log Service",
        "LogEntryType": "SEL",
        "MaxNumberOfRecords": 1024,
    },
    "Lclog": {
        "Name": "LifeCycle Controller Log Service",
        "Description": "LifeCycle Controller Log Service",
        "LogEntryType": "Oem",
        "MaxNumberOfRecords": 500000,
    },
}
LCLOG_ENTRY_COUNT = 3


def _firmware(kind: str, component_id: str, version: str, name: str, fqdd: str, *, updateable: bool = True) -> Json:
    member_id = f"{kind}-{component_id}-{version}__{fqdd}"
    return {
        "@odata.id": f"/redfish/v1/UpdateService/FirmwareInventory/{member_id}",
        "@odata.type": "#SoftwareInventory.v1_9_0.SoftwareInventory",
        "Description": "Represents Firmware Inventory",
        "Id": member_id,
        "Name": name,
        "ReleaseDate": "00:00:00Z",
        "SoftwareId": component_id,
        "Status": {"Health": "OK", "State": "Enabled" if kind == "Installed" else "Disabled"},
        "Updateable": updateable,
        "Version": version,
    }


FIRMWARE: tuple[Json, ...] = (
    _firmware("Installed", "25227", "7.00.00.173", "Integrated Dell Remote Access Controller", "iDRAC.Embedded.1-1"),
    _firmware("Previous", "25227", "6.10.80.00", "Integrated Dell Remote Access Controller", "iDRAC.Embedded.1-1"),
    _firmware("Installed", "159", "1.13.2", "BIOS", "BIOS.Setup.1-1"),
    _firmware("Installed", "101548", "52.26.0-5179", "PERC H755 Front", "RAID.SL.3-1"),
    _firmware("Installed", "108255", "22.31.6", "Broadcom Gigabit Ethernet BCM5720 - 4C:D9:8F:0A:1B:2C",
              "NIC.Embedded.1-1-1"),
    _firmware("Installed", "25806", "00.3D.67", "PWR SPLY,800W,RDNT,LTON", "PSU.Slot.1"),
    _firmware("Installed", "25228", "7.00.00.173", "Lifecycle Controller", "USC.Embedded.1:LC.Embedded.1",
              updateable=False),
    _firmware("Installed", "0", "DL63", "SSD 0", "Disk.Bay.0:Enclosure.Internal.0-1:RAID.SL.3-1"),
)  # fmt: skip


def _power_supply(chassis: str, slot: int, *, lost_input: bool) -> Json:
    return {
        "@odata.id": f"/redfish/v1/Chassis/{chassis}/Power#/PowerSupplies/{slot - 1}",
        "FirmwareVersion": "00.3D.67",
        "LastPowerOutputWatts": None if lost_input else 212,
        "LineInputVoltage": 0 if lost_input else 230,
        "LineInputVoltageType": "AC240V",
        "Manufacturer": "DELL",
        "MemberId": f"PSU.Slot.{slot}",
        "Model": "PWR SPLY,800W,RDNT,LTON",
        "Name": f"PS{slot} Status",
        "PartNumber": "01CW9GA08",
        "PowerCapacityWatts": 800,
        "PowerSupplyType": "AC",
        "SerialNumber": f"CNLOD0019F{slot:04d}",
        "SparePartNumber": "01CW9GA08",
        "Status": {"Health": "Critical" if lost_input else "OK", "State": "Enabled"},
    }


def power_document(chassis: str) -> Json:
    return {
        "@odata.context": "/redfish/v1/$metadata#Power.Power",
        "@odata.id": f"/redfish/v1/Chassis/{chassis}/Power",
        "@odata.type": "#Power.v1_7_1.Power",
        "Id": "Power",
        "Name": "Power",
        "PowerControl": [
            {
                "@odata.id": f"/redfish/v1/Chassis/{chassis}/Power#/PowerControl/0",
                "MemberId": "PowerControl",
                "Name": "System Power Control",
                "PowerAllocatedWatts": 1496,
                "PowerCapacityWatts": 1596,
                "PowerConsumedWatts": 212,
                "Status": {"Health": "OK", "State": "Enabled"},
            }
        ],
        "PowerSupplies": [_power_supply(chassis, 1, lost_input=False), _power_supply(chassis, 2, lost_input=True)],
        "Redundancy": [
            {
                "@odata.id": f"/redfish/v1/Chassis/{chassis}/Power#/Redundancy/0",
                "MemberId": "PSRedundancy",
                "Mode": "N+m",
                "Name": "System Board PS Redundancy",
                "Status": {"Health": "Critical", "State": "Enabled"},
            }
        ],
    }
