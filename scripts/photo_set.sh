#!/bin/sh
# Gathers the photographs presets/photo.recipe trains on into one folder, as
# links: the 12 nature photos of Debian's mate-backgrounds and the 11
# photographs among plasma-workspace-wallpapers' pictures (the rest of that
# package is drawn art), each at its largest size (training shrinks them).
# Both packages come with `scripts/install-deps.sh --peers`.
# Usage: scripts/photo_set.sh [DIR (default data/photos)]
set -eu
cd "$(dirname "$0")/.."
DIR=${1:-data/photos}
MATE=/usr/share/backgrounds/mate/nature
PLASMA=/usr/share/wallpapers
PHOTOS="BytheWater ColdRipple ColorfulCups DarkestHour EveningGlow FallenLeaf Grey Kite OneStandsOut Path summer_1am"
[ -d "$MATE" ] && [ -d "$PLASMA/Path" ] || {
    echo "photo_set: needs mate-backgrounds and plasma-workspace-wallpapers (scripts/install-deps.sh --peers)" >&2
    exit 1
}
mkdir -p "$DIR"
for f in "$MATE"/*.jpg; do
    ln -sf "$f" "$DIR/mate-$(basename "$f")"
done
for p in $PHOTOS; do
    # the largest picture of the wallpaper's sizes
    f=$(ls -S "$PLASMA/$p"/contents/images/*.jpg | head -n 1)
    ln -sf "$f" "$DIR/plasma-$p.jpg"
done
echo "photo_set: $(ls "$DIR" | wc -l) photographs in $DIR"
