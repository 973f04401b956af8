import assert from "node:assert/strict";
import {
  haveSharedDatasets,
  SHARED_DATASETS,
  sharedDataset,
} from "../../tests/support/datasets.ts";
import { checkMapping, loadCatalog, loadMapping, parseCatalog, parseNumber } from "./catalog.ts";
import { datasetByName } from "./dataset.ts";
import { InputError } from "../core/errors.ts";
import { dataPath } from "../core/resources.ts";

const movies = datasetByName("movies");
const songs = datasetByName("songs");
const NETFLIX = sharedDataset("netflix_titles.csv");
const SPOTIFY_2023 = sharedDataset("spotify-2023.csv");
const sharedMissing = !haveSharedDatasets;
/** Names a test that needs the real datasets, saying why it is skipped when they are absent. */
const needsShared = (name: string) =>
  sharedMissing
    ? `${name} (skipped: ${SHARED_DATASETS} is absent; see ../shared/datasets/README.md)`
    : name;
const HEADER =
  "show_id,type,title,director,cast,country,date_added,release_year,rating,duration,listed_in,description\n";
const bytes = (text: string) => new TextEncoder().encode(text);
const attribute = (values: unknown[] | undefined, name: string) =>
  values?.[movies.attributes.findIndex((a) => a.name === name)];

Deno.test("parseCatalog() splits duration into minutes for movies and seasons for shows", () => {
  const catalog = parseCatalog(
    bytes(
      HEADER +
        "s1,Movie,Heat,,,,,1995,R,170 min,Thrillers,x\n" +
        "s2,TV Show,Dark,,,,,2017,TV-MA,3 Seasons,TV Dramas,x\n" +
        "s3,TV Show,Chernobyl,,,,,2019,TV-MA,1 Season,TV Dramas,x\n",
    ),
    "mini.csv",
    movies,
  );
  assert.equal(attribute(catalog.entries.get("Heat"), "duration"), 170);
  assert.equal(attribute(catalog.entries.get("Heat"), "seasons"), null);
  assert.equal(attribute(catalog.entries.get("Dark"), "duration"), null);
  assert.equal(attribute(catalog.entries.get("Dark"), "seasons"), 3);
  assert.equal(attribute(catalog.entries.get("Chernobyl"), "seasons"), 1);
});

Deno.test("parseCatalog() takes a runtime found in the rating column as the duration", () => {
  const catalog = parseCatalog(
    bytes(HEADER + "s5542,Movie,Louis C.K. 2017,,,,,2017,74 min,,Movies,x\n"),
    "m.csv",
    movies,
  );
  const values = catalog.entries.get("Louis C.K. 2017");
  assert.equal(attribute(values, "duration"), 74);
  assert.equal(attribute(values, "maturity_rating"), null);
});

Deno.test("parseCatalog() handles quoted commas, quotes and line breaks, and empty fields", () => {
  const catalog = parseCatalog(
    bytes(
      HEADER +
        's9,Movie,"A ""Quoted"", Title\nOn Two Lines",,"A, B",,,2001,,,"Dramas, Comedies",x\n',
    ),
    "m.csv",
    movies,
  );
  const values = catalog.entries.get('A "Quoted", Title\nOn Two Lines');
  assert.ok(values);
  assert.equal(attribute(values, "director"), null);
  assert.equal(attribute(values, "listed_in"), "Dramas, Comedies");
  assert.equal(attribute(values, "maturity_rating"), null);
});

Deno.test("parseCatalog() trims non-breaking spaces from keys and keeps the first of equal keys", () => {
  const catalog = parseCatalog(
    bytes(
      HEADER +
        "s1,Movie,Consequences,First,,,,2014,R,106 min,,x\ns2,Movie,Consequences\u00a0,Second,,,,2018,R,90 min,,x\n",
    ),
    "m.csv",
    movies,
  );
  assert.equal(catalog.entries.size, 1);
  assert.equal(catalog.duplicates, 1);
  assert.equal(attribute(catalog.entries.get("Consequences"), "director"), "First");
});

Deno.test("parseCatalog() reports bad rows with their line and skips them, or stops with --strict", () => {
  const text = HEADER + "s1,Movie,Good,,,,,2001,R,90 min,,x\n" + "s2,Movie,Short row\n" +
    "s3,Movie,Bad year,,,,,nineteen,R,90 min,,x\n" + "s4,Movie,,,,,,2001,R,90 min,,x\n";
  const catalog = parseCatalog(bytes(text), "m.csv", movies);
  assert.equal(catalog.entries.size, 1);
  assert.deepEqual(catalog.problems, [
    { line: 3, reason: "has 3 fields, the header has 12" },
    { line: 4, column: "release_year", reason: "not a number: 'nineteen'" },
    { line: 5, column: "title", reason: "the key is empty" },
  ]);
  assert.throws(
    () => parseCatalog(bytes(text), "m.csv", movies, { strict: true }),
    (error) =>
      error instanceof InputError && error.message === "m.csv:3: has 3 fields, the header has 12",
  );
});

Deno.test("parseCatalog() names the file and the problem for what is not a catalog", async (t) => {
  await t.step("no key column", () => {
    assert.throws(
      () => parseCatalog(bytes("name,year\nHeat,1995\n"), "other.csv", movies),
      /other\.csv:1: title: no key column 'title' in the header \(columns: name, year\)/,
    );
  });
  await t.step("binary content", () => {
    assert.throws(
      () => parseCatalog(new Uint8Array([0x50, 0x4b, 0, 0, 1]), "x.zip", movies),
      /x\.zip: not a CSV file/,
    );
  });
  await t.step("broken quoting", () => {
    assert.throws(
      () => parseCatalog(bytes(HEADER + 's1,Movie,"Open quote,,\n'), "q.csv", movies),
      /q\.csv:\d+: not valid CSV/,
    );
  });
  await t.step("empty file", () => {
    assert.throws(() => parseCatalog(bytes(""), "e.csv", movies), /e\.csv:1: the file is empty/);
  });
  await t.step("missing file", async () => {
    await assert.rejects(
      loadCatalog("/nonexistent/catalog.csv", movies),
      /\/nonexistent\/catalog\.csv: cannot read the catalog: no such file/,
    );
  });
});

Deno.test("parseNumber() reads thousands separators and refuses garbage", () => {
  assert.equal(parseNumber("1,021"), 1021);
  assert.equal(parseNumber("2,445,000.5"), 2445000.5);
  assert.equal(parseNumber("-7.25"), -7.25);
  assert.equal(parseNumber("1e3"), 1000);
  assert.equal(parseNumber("1,02"), undefined);
  assert.equal(parseNumber("BPM110KeyAModeMajor"), undefined);
  assert.equal(parseNumber(""), undefined);
});

Deno.test("checkMapping() names the field that is wrong", () => {
  assert.throws(
    () => checkMapping({ attributes: {} }, "map.json"),
    /map\.json: key: must name the key column/,
  );
  assert.throws(
    () =>
      checkMapping({ key: "k", attributes: { tempo: { column: "bpm", scale: "x" } } }, "map.json"),
    /map\.json: attributes\.tempo\.scale: must be a number/,
  );
  assert.throws(
    () =>
      parseCatalog(bytes("k,bpm\na,1\n"), "c.csv", songs, {
        mapping: { key: "k", attributes: { bpm: { column: "bpm" } } },
      }),
    /c\.csv: bpm: the mapping names an attribute the songs dataset does not have/,
  );
});

Deno.test("the shipped catalogs load with a few thousand keys and no bad rows", async () => {
  const movieCatalog = await loadCatalog(dataPath("movies.csv"), movies);
  assert.equal(movieCatalog.rows, 3000);
  assert.equal(movieCatalog.entries.size, 3000);
  assert.deepEqual(movieCatalog.problems, []);
  const songCatalog = await loadCatalog(dataPath("songs.csv"), songs);
  assert.equal(songCatalog.rows, 3000);
  assert.ok(songCatalog.duplicates > 0, "the generator repeats some titles under other artists");
  assert.equal(songCatalog.entries.size + songCatalog.duplicates, 3000);
  assert.deepEqual(songCatalog.problems, []);
});

Deno.test({
  name: needsShared("loadCatalog() reads the real Netflix file with its quirky rows right"),
  ignore: sharedMissing,
  async fn() {
    const catalog = await loadCatalog(NETFLIX, movies);
    assert.equal(catalog.rows, 8807);
    assert.deepEqual(catalog.problems, []);
    // `Consequences` and `Consequences\u00a0` share a key once trimmed; the first wins.
    assert.equal(catalog.duplicates, 1);
    assert.equal(catalog.entries.size, 8806);
    assert.equal(attribute(catalog.entries.get("Consequences"), "release_year"), 2014);
    for (
      const [title, minutes] of [["Louis C.K. 2017", 74], ["Louis C.K.: Hilarious", 84], [
        "Louis C.K.: Live at the Comedy Store",
        66,
      ]] as const
    ) {
      const values = catalog.entries.get(title);
      assert.equal(attribute(values, "duration"), minutes, title);
      assert.equal(attribute(values, "maturity_rating"), null, title);
    }
    const belle = catalog.entries.get("The Memphis Belle: A Story of a\nFlying Fortress");
    assert.equal(attribute(belle, "duration"), 40);
    assert.equal(attribute(belle, "director"), "William Wyler");
    assert.equal(
      attribute(catalog.entries.get("Dick Johnson Is Dead"), "maturity_rating"),
      "PG-13",
    );
    assert.equal(attribute(catalog.entries.get("Blood & Water"), "seasons"), 2);
    for (const numeric of ["1994", "2,215", "23:59"]) {
      assert.ok(catalog.entries.has(numeric), numeric);
    }
  },
});

Deno.test({
  name: needsShared(
    "loadCatalog() reads spotify-2023.csv through its mapping, reporting unreadable rows",
  ),
  ignore: sharedMissing,
  async fn() {
    const mapping = await loadMapping(dataPath("mappings/spotify-2023.json"));
    const catalog = await loadCatalog(SPOTIFY_2023, songs, { mapping });
    assert.equal(catalog.rows, 953);
    const utf8 = catalog.problems.filter((p) => p.reason.startsWith("invalid UTF-8"));
    assert.equal(utf8.length, 109);
    const garbage = catalog.problems.filter((p) => !p.reason.startsWith("invalid UTF-8"));
    assert.deepEqual(garbage, [{
      line: 576,
      column: "streams",
      reason: "not a number: 'BPM110KeyAModeMajorDanceability53Valence...'",
    }]);
    assert.equal(catalog.duplicates, 10);
    assert.equal(catalog.entries.size, 953 - 110 - 10);
    const lala = catalog.entries.get("LALA");
    const get = (name: string) => lala?.[songs.attributes.findIndex((a) => a.name === name)];
    assert.equal(get("artist"), "Myke Towers");
    assert.equal(get("danceability"), 0.71);
    assert.equal(get("tempo"), 92);
    assert.equal(get("musical_key"), 1); // C#
    assert.equal(get("mode"), 1); // Major
    assert.equal(get("streams"), 133716286);
    await assert.rejects(
      loadCatalog(SPOTIFY_2023, songs, { mapping, strict: true }),
      (error) =>
        error instanceof InputError &&
        /spotify-2023\.csv:\d+: track_name: invalid UTF-8/.test(error.message),
    );
  },
});
