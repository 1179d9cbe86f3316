"""A worker: squares each number from "jobs" and sends it to "results";
ends at "stop"."""
import ipc

jobs = ipc.endpoint("jobs", 10)
results = ipc.endpoint("results", 10)
while True:
    msg = jobs.recv(10)
    if msg == b"stop":
        break
    results.send(str(int(msg) ** 2).encode(), 10)
jobs.close()
results.close()
