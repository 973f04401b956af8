/**
 * Generates the catalogs the project ships, data/movies.csv (the Kaggle Netflix titles layout)
 * and data/songs.csv (the 30,000 Spotify songs layout), from Faker with a fixed seed. Running it
 * again rewrites both files byte for byte: `deno task generate-data`, or with a folder argument to
 * write elsewhere (the test that checks reproducibility does that).
 */
import { faker } from "@faker-js/faker/locale/en";
import { join } from "node:path";
import { PROJECT_ROOT } from "../lib/core/resources.ts";

/** Seed of every generated catalog; changing it changes the shipped files. */
export const SEED = 20240301;
const MOVIE_COUNT = 3_000;
const SONG_COUNT = 3_000;

const MATURITY = [
  "TV-MA",
  "TV-14",
  "TV-PG",
  "R",
  "PG-13",
  "PG",
  "TV-Y7",
  "TV-Y",
  "TV-G",
  "NR",
  "G",
];
const MOVIE_GENRES = [
  "Dramas",
  "Comedies",
  "Documentaries",
  "Action & Adventure",
  "International Movies",
  "Thrillers",
  "Horror Movies",
  "Romantic Movies",
  "Sci-Fi & Fantasy",
  "Children & Family Movies",
  "Stand-Up Comedy",
  "Music & Musicals",
];
const SHOW_GENRES = [
  "International TV Shows",
  "TV Dramas",
  "TV Comedies",
  "Crime TV Shows",
  "Docuseries",
  "Reality TV",
  "Kids' TV",
  "Anime Series",
  "TV Mysteries",
];
const SONG_GENRES: Record<string, string[]> = {
  pop: ["dance pop", "post-teen pop", "electropop", "indie poptimism"],
  rap: ["hip hop", "southern hip hop", "trap", "gangster rap"],
  rock: ["album rock", "classic rock", "permanent wave", "hard rock"],
  latin: ["latin pop", "reggaeton", "tropical", "latin hip hop"],
  "r&b": ["urban contemporary", "hip pop", "new jack swing", "neo soul"],
  edm: ["electro house", "big room", "pop edm", "progressive electro house"],
};

/** One CSV field: quoted when it holds a comma, a quote, a line break or edge spaces. */
function field(value: string | number): string {
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csv(header: string[], rows: (string | number)[][]): string {
  return [header, ...rows].map((row) => row.map(field).join(",")).join("\n") + "\n";
}

function uniqueTitle(seen: Set<string>, make: () => string): string {
  for (;;) {
    const title = make();
    if (!seen.has(title)) {
      seen.add(title);
      return title;
    }
  }
}

function dateAdded(): string {
  const date = faker.date.between({ from: "2015-01-01T00:00:00Z", to: "2021-09-30T00:00:00Z" });
  const month = date.toLocaleString("en-US", { month: "long", timeZone: "UTC" });
  return `${month} ${date.getUTCDate()}, ${date.getUTCFullYear()}`;
}

function movieTitle(): string {
  const shapes = [
    () => `The ${faker.word.adjective()} ${faker.word.noun()}`,
    () => `${faker.word.noun()} of ${faker.location.city()}`,
    () => faker.book.title(),
    () => `${faker.person.firstName()}'s ${faker.word.noun()}`,
    () => `${faker.word.adjective()} ${faker.word.noun()}: ${faker.word.verb()}`,
  ];
  const title = faker.helpers.arrayElement(shapes)();
  return title.replace(/^\w/, (c) => c.toUpperCase());
}

/** Rows in the Netflix titles layout. */
export function generateMovies(): string {
  faker.seed(SEED);
  const seen = new Set<string>();
  const rows: (string | number)[][] = [];
  for (let i = 1; i <= MOVIE_COUNT; i++) {
    const isMovie = faker.number.float() < 0.7;
    const release = faker.number.int({ min: 1960, max: 2021 });
    const names = (n: number) =>
      Array.from({ length: n }, () => faker.person.fullName()).join(", ");
    rows.push([
      `s${i}`,
      isMovie ? "Movie" : "TV Show",
      uniqueTitle(seen, movieTitle),
      faker.number.float() < 0.3 ? "" : names(faker.number.int({ min: 1, max: 2 })),
      faker.number.float() < 0.1 ? "" : names(faker.number.int({ min: 2, max: 8 })),
      faker.number.float() < 0.1 ? "" : Array.from(
        { length: faker.number.int({ min: 1, max: 2 }) },
        () => faker.location.country(),
      ).join(", "),
      dateAdded(),
      release,
      faker.helpers.arrayElement(MATURITY),
      isMovie
        ? `${faker.number.int({ min: 60, max: 200 })} min`
        : ((n) => `${n} Season${n === 1 ? "" : "s"}`)(faker.number.int({ min: 1, max: 9 })),
      faker.helpers.arrayElements(isMovie ? MOVIE_GENRES : SHOW_GENRES, { min: 1, max: 3 }).join(
        ", ",
      ),
      faker.lorem.sentence({ min: 12, max: 24 }),
    ]);
  }
  return csv(
    [
      "show_id",
      "type",
      "title",
      "director",
      "cast",
      "country",
      "date_added",
      "release_year",
      "rating",
      "duration",
      "listed_in",
      "description",
    ],
    rows,
  );
}

/** Rows in the 30,000 Spotify songs layout; some titles repeat under another artist. */
export function generateSongs(): string {
  faker.seed(SEED + 1);
  const seen = new Set<string>();
  const rows: (string | number)[][] = [];
  const fraction = () => faker.number.float({ min: 0, max: 1, fractionDigits: 3 });
  const id = () => faker.string.alphanumeric({ length: 22 });
  for (let i = 0; i < SONG_COUNT; i++) {
    const name = i > 0 && faker.number.float() < 0.02
      ? faker.helpers.arrayElement([...seen])
      : uniqueTitle(seen, () =>
        faker.helpers.arrayElement([
          () => faker.music.songName(),
          () =>
            `${faker.word.adjective()} ${faker.word.noun()}`.replace(/^\w/, (c) => c.toUpperCase()),
          () => `${faker.music.songName()} (${faker.word.adjective()} Mix)`,
        ])());
    const genre = faker.helpers.objectKey(SONG_GENRES);
    const release = faker.date.between({
      from: "1970-01-01T00:00:00Z",
      to: "2020-01-01T00:00:00Z",
    });
    rows.push([
      id(),
      name,
      faker.music.artist(),
      faker.number.int({ min: 0, max: 100 }),
      id(),
      faker.music.album(),
      faker.number.float() < 0.1
        ? String(release.getUTCFullYear())
        : release.toISOString().slice(0, 10),
      `${faker.word.adjective()} ${genre}`,
      id(),
      genre,
      faker.helpers.arrayElement(SONG_GENRES[genre]),
      fraction(),
      fraction(),
      faker.number.int({ min: 0, max: 11 }),
      faker.number.float({ min: -20, max: 0, fractionDigits: 3 }),
      faker.number.int({ min: 0, max: 1 }),
      faker.number.float({ min: 0, max: 0.5, fractionDigits: 4 }),
      fraction(),
      faker.number.float() < 0.7 ? 0 : faker.number.float({ min: 0, max: 1, fractionDigits: 6 }),
      faker.number.float({ min: 0.02, max: 0.9, fractionDigits: 4 }),
      fraction(),
      faker.number.float({ min: 60, max: 200, fractionDigits: 3 }),
      faker.number.int({ min: 90_000, max: 420_000 }),
    ]);
  }
  return csv(
    [
      "track_id",
      "track_name",
      "track_artist",
      "track_popularity",
      "track_album_id",
      "track_album_name",
      "track_album_release_date",
      "playlist_name",
      "playlist_id",
      "playlist_genre",
      "playlist_subgenre",
      "danceability",
      "energy",
      "key",
      "loudness",
      "mode",
      "speechiness",
      "acousticness",
      "instrumentalness",
      "liveness",
      "valence",
      "tempo",
      "duration_ms",
    ],
    rows,
  );
}

if (import.meta.main) {
  const folder = Deno.args[0] ?? join(PROJECT_ROOT, "data");
  await Deno.mkdir(folder, { recursive: true });
  await Deno.writeTextFile(`${folder}/movies.csv`, generateMovies());
  await Deno.writeTextFile(`${folder}/songs.csv`, generateSongs());
  console.log(`Wrote ${folder}/movies.csv and ${folder}/songs.csv`);
}
