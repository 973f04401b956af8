/**
 * kafkajs for the rest of the code: the same library, with the patches of kafkajs_patches.ts in
 * place before it loads. Import kafkajs from here, never directly.
 */
import "./kafkajs_patches.ts";
export * from "kafkajs";
import kafkajs from "kafkajs";
export default kafkajs;
