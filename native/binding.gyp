{
  "targets": [
    {
      "target_name": "fbw_kernels",
      "sources": ["src/fbw_kernels.cc", "src/gemm.cc", "src/linalg.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno", "<!(node native-arch.cjs)"],
      "libraries": ["-ldl", "-lpthread"],
      "xcode_settings": {
        "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3"],
        "MACOSX_DEPLOYMENT_TARGET": "11.0"
      }
    }
  ]
}
