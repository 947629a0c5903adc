"""Prints each scalar tag of the TensorBoard event files in a folder, read
with TensorBoard's own reader: how many values, at which steps, and the
last value of `step/lr`."""
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

events = EventAccumulator(sys.argv[1])
events.Reload()
for tag in sorted(events.Tags()["scalars"]):
    values = events.Scalars(tag)
    line = f"{tag}: {len(values)} values at steps " + " ".join(str(v.step) for v in values)
    if tag == "step/lr":
        line += f", last {values[-1].value:.3e}"
    print(line)
