# The ferry_native addon (native/ferry_native.c): SO_PEERCRED and sd_notify on N-API.
# Built by `npm run build:native` (native/build.mjs), output build/Release/ferry_native.node.
{
  "targets": [
    {
      "target_name": "ferry_native",
      "sources": ["native/ferry_native.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra", "-Werror=implicit-function-declaration"]
    }
  ]
}
