{
  "targets": [
    {
      "target_name": "rawsock",
      "sources": ["rawsock.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Werror"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
