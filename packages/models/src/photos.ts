/**
 * A few real photographs with clear licences (from scikit-image's data set, Debian package
 * `python3-skimage`), for trying an ImageNet BagNet. The default model knows clothes, not photos.
 * Licences: `photos/LICENSES.md`.
 */

/** One photograph and its licence. */
export interface Photo {
  /** File name inside the package's `photos/` folder. */
  readonly file: string;
  /** URL of the image file. */
  readonly url: URL;
  /** What it shows. */
  readonly title: string;
  /** Licence or public-domain status. */
  readonly licence: string;
  /** Author / origin, as recorded by scikit-image. */
  readonly credit: string;
}

const photo = (file: string, title: string, licence: string, credit: string): Photo => ({
  file,
  url: new URL(`../photos/${file}`, import.meta.url),
  title,
  licence,
  credit,
});

/** The shipped photographs. */
export const photos: readonly Photo[] = [
  photo('chelsea.png', 'Chelsea the cat', 'CC0', 'Stefan van der Walt'),
  photo('coffee.png', 'Coffee cup', 'CC0', 'Rachel Michetti, courtesy of Pikolo Espresso Bar'),
  photo('astronaut.png', 'Astronaut Eileen Collins', 'Public domain', 'NASA'),
  photo('rocket.jpg', 'Falcon 9 launch carrying DSCOVR', 'Public domain', 'SpaceX'),
];
