"""Checks the layout of `trainer dream`'s picture for 28x28 images: COLUMNS
image columns of 112-pixel cells (4x) 8 pixels apart at the right, the
first input's cell made of uniform 4x4 blocks, and drawn text (dark
pixels) in the title band above the cells and in the label band left of
them, which the images never reach. Prints what it found."""
import sys

from PIL import Image

path, columns, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
picture = Image.open(path).convert("L")
width, height = picture.size
cell, gap = 112, 8
left, top = width - columns * (cell + gap), height - rows * (cell + gap)
pixels = picture.load()
blocks = all(pixels[left + x, top + y] == pixels[left + x - x % 4, top + y - y % 4]
             for y in range(cell) for x in range(cell))
titles = sum(pixels[x, y] < 128 for x in range(left, width) for y in range(top - gap))
labels = sum(pixels[x, y] < 128 for x in range(left - gap) for y in range(top, height))
print(f"cells of {cell} pixels from x {left}, y {top}; 4x4 blocks: {blocks}; "
      f"dark title pixels: {titles > 100}; dark label pixels: {labels > 100}")
