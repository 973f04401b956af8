import assert from "node:assert/strict";
import { dataPath } from "../lib/core/resources.ts";
import { generateMovies, generateSongs } from "./generate_catalogs.ts";

Deno.test("the shipped catalogs are what the generator writes, byte for byte", async () => {
  assert.equal(await Deno.readTextFile(dataPath("movies.csv")), generateMovies());
  assert.equal(await Deno.readTextFile(dataPath("songs.csv")), generateSongs());
});
