"""Remote execution: targets, credential references, SSH and WinRM transports, host keys, streaming runs, fan-out."""
