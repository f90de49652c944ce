print("kube-emulator: not yet")
