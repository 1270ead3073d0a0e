'''ModemManager mock template for ferry's tests

The real bus name, object paths, interfaces and property types of ModemManager 1.x: the daemon object
/org/freedesktop/ModemManager1 is an ObjectManager, modems live at
/org/freedesktop/ModemManager1/Modem/N with org.freedesktop.ModemManager1.Modem and
org.freedesktop.ModemManager1.Modem.Modem3gpp. Change a modem's properties with the standard
org.freedesktop.DBus.Mock.UpdateProperties on its path (emits Properties.PropertiesChanged, as MM does).
'''

import dbus

from dbusmock import MOCK_IFACE
import dbusmock

BUS_NAME = 'org.freedesktop.ModemManager1'
MAIN_OBJ = '/org/freedesktop/ModemManager1'
MAIN_IFACE = 'org.freedesktop.ModemManager1'
SYSTEM_BUS = True
IS_OBJECT_MANAGER = True

MODEM_IFACE = 'org.freedesktop.ModemManager1.Modem'
MODEM_3GPP_IFACE = 'org.freedesktop.ModemManager1.Modem.Modem3gpp'

# MMModemAccessTechnology LTE, MMModemState CONNECTED, MMModem3gppRegistrationState HOME
DEFAULT_TECH = 1 << 14
DEFAULT_STATE = 11
DEFAULT_REGISTRATION = 1


def load(mock, parameters):
    mock.AddMethods(MAIN_IFACE, [
        ('ScanDevices', '', '', ''),
        ('SetLogging', 's', '', ''),
    ])
    mock.AddProperties(MAIN_IFACE, {'Version': parameters.get('Version', '1.20.0')})
    mock.next_modem = 0


@dbus.service.method(MOCK_IFACE, in_signature='a{sv}', out_signature='s')
def AddModem(self, props):
    '''Add a modem. props may set NetPort (s), AccessTechnologies (u), SignalQuality (u percent),
    State (i), RegistrationState (u), OperatorName (s). Returns the new object path.'''
    path = f'{MAIN_OBJ}/Modem/{self.next_modem}'
    self.next_modem += 1
    net_port = str(props.get('NetPort', 'wwan0'))
    modem = {
        'Sim': dbus.ObjectPath(f'{MAIN_OBJ}/SIM/0'),
        'Bearers': dbus.Array([], signature='o'),
        'CurrentCapabilities': dbus.UInt32(4 | 8),
        'Manufacturer': 'ferry',
        'Model': 'mock modem',
        'Revision': '1',
        'DeviceIdentifier': f'mock{self.next_modem}',
        'Device': f'/sys/devices/mock/usb{self.next_modem}',
        'Drivers': dbus.Array(['qmi_wwan'], signature='s'),
        'Plugin': 'generic',
        'PrimaryPort': 'cdc-wdm0',
        # MMModemPortType: QMI = 6, NET = 2
        'Ports': dbus.Array([dbus.Struct(('cdc-wdm0', dbus.UInt32(6)), signature='su'),
                             dbus.Struct((net_port, dbus.UInt32(2)), signature='su')], signature='(su)'),
        'EquipmentIdentifier': '350000000000000',
        'UnlockRequired': dbus.UInt32(1),
        'State': dbus.Int32(int(props.get('State', DEFAULT_STATE))),
        'StateFailedReason': dbus.UInt32(0),
        'AccessTechnologies': dbus.UInt32(int(props.get('AccessTechnologies', DEFAULT_TECH))),
        'SignalQuality': dbus.Struct((dbus.UInt32(int(props.get('SignalQuality', 70))), dbus.Boolean(True)), signature='ub'),
        'OwnNumbers': dbus.Array([], signature='s'),
        'PowerState': dbus.UInt32(3),
    }
    gpp = {
        'Imei': '350000000000000',
        'RegistrationState': dbus.UInt32(int(props.get('RegistrationState', DEFAULT_REGISTRATION))),
        'OperatorCode': '00101',
        'OperatorName': str(props.get('OperatorName', 'Ferry Mobile')),
        'EnabledFacilityLocks': dbus.UInt32(0),
    }
    self.AddObject(path, MODEM_IFACE, modem, [
        ('Enable', 'b', '', ''),
        ('GetBearers', '', 'ao', 'ret = []'),
    ])
    obj = dbusmock.get_object(path)
    obj.AddProperties(MODEM_3GPP_IFACE, gpp)
    obj.AddMethods(MODEM_3GPP_IFACE, [('Register', 's', '', ''), ('Scan', '', 'aa{sv}', 'ret = []')])
    self.object_manager_emit_added(path)
    return path


@dbus.service.method(MOCK_IFACE, in_signature='o', out_signature='')
def RemoveModem(self, path):
    '''Remove a modem, as when it is unplugged.'''
    self.object_manager_emit_removed(path)
    self.RemoveObject(path)
