'''Extra for any dbusmock server in ferry's tests: SetProps

dbusmock's own UpdateProperties cannot wrap object paths or structs (0.28: "no attribute conjugate"),
and the stock NetworkManager template's SetProperty emits the old per-interface signal as well.
SetProps sets any properties on any mock object and emits one standard
org.freedesktop.DBus.Properties.PropertiesChanged, which is what current daemons send.
Loaded into a running mock with org.freedesktop.DBus.Mock.AddTemplate(path-to-this-file, {}).
'''

import dbus

from dbusmock import MOCK_IFACE
import dbusmock


def load(_mock, _parameters):
    pass


@dbus.service.method(MOCK_IFACE, in_signature='osa{sv}', out_signature='')
def SetProps(_self, path, iface, props):
    obj = dbusmock.get_object(path)
    for name, value in props.items():
        obj.props.setdefault(iface, {})[name] = value
    obj.EmitSignal(dbus.PROPERTIES_IFACE, 'PropertiesChanged', 'sa{sv}as',
                   [iface, dbus.Dictionary(props, signature='sv'), dbus.Array([], signature='s')])
