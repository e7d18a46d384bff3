/**
 * The table of the course's external files: what each is, who published it, its licence, size,
 * sha256, and the pinned address it is downloaded from (raw.githubusercontent.com at a fixed
 * commit). Only data: resolving, verifying and fetching are in `external.ts` and `download.ts`.
 *
 * @example
 * ```ts
 * EXTERNAL_FILES["gatys/tubingen.jpg"].download; // "https://raw.githubusercontent.com/…/tubingen.jpg"
 * ```
 *
 * @module
 */

/** What is known about one external file: what it is, where it comes from, and its checksum. */
export interface ExternalFileInfo {
  /** What the file is, for people. */
  description: string;
  /** Who published it (author, and the repository the copy was taken from). */
  publisher: string;
  /** Where the original is published. */
  url: string;
  /** Its licence or copyright status. */
  licence: string;
  /**
   * Whether the file, or images made from it, may be committed or published with the course.
   * False for the Picasso (not public domain) and for the weights (large, and kept external).
   */
  redistributable: boolean;
  /** Size in bytes. */
  bytes: number;
  /** Lower-case hex sha256 of the file. */
  sha256: string;
  /**
   * The pinned address the file is downloaded from when it is missing (a raw file at a fixed
   * commit), or undefined for files that are not published (`model_notop.json`, derived locally)
   * or that no notebook needs (the partial float32 reference).
   */
  download?: string;
}

type Listing = [path: string, bytes: number, sha256: string][];

const VGG19_UINT8: Listing = [
  ["model.json", 25990, "f60aa44c0c3fb179b3beddfcac96d3281e43338dd3fb7c9b9e2f89fe03237be5"],
  [
    "group1-shard1of138.bin",
    1048576,
    "cca7e99e423e8107664f51435855274ac51fd14570597d41744886e59cde34e6",
  ],
  [
    "group1-shard2of138.bin",
    1048576,
    "550564f5e111b77878d59231eaf5d26b95da2eafcb84e1b09597906494527026",
  ],
  [
    "group1-shard3of138.bin",
    1048576,
    "1682fb64cac699bd65fb5c8440922a28083e12ef2f52f8aed351d31a29550095",
  ],
  [
    "group1-shard4of138.bin",
    1048576,
    "9103f95900a42be7f7e6028cca95d6e52ad537c237320a81d9e666bdac15f6e9",
  ],
  [
    "group1-shard5of138.bin",
    1048576,
    "da2918df08e6dc7d8f99cd7f35ea7862d3c09f899fe93e5b1ddfa6965de12f3e",
  ],
  [
    "group1-shard6of138.bin",
    1048576,
    "3a808f7bc1add7c1c03f67354d69117e10ef0bcdd25248db4785a76738890d14",
  ],
  [
    "group1-shard7of138.bin",
    1048576,
    "5b3479841bcb79fc6274d3426a58bcb234736347335bf66d20daea5cc583f8d1",
  ],
  [
    "group1-shard8of138.bin",
    1048576,
    "933ba188e1b3977832f5bf2a229f61eca7d0d8c2850a42e63fe10baa40b72ff8",
  ],
  [
    "group1-shard9of138.bin",
    1048576,
    "78d080b7752aedcbe7693bd552fe7d3488174aec7862942fcdb8167409c678e4",
  ],
  [
    "group1-shard10of138.bin",
    1048576,
    "13ece075d0d682cd8c3feeaa962122c154923500a0aca1022ee47c6fa5608e69",
  ],
  [
    "group1-shard11of138.bin",
    1048576,
    "fa63eebe52165edd2f209a757fd7add6930aec952872c96428934cd0fc9a6d3a",
  ],
  [
    "group1-shard12of138.bin",
    1048576,
    "685bb760e407e77c6f71b51653176ae6ff2f3dfa137a3fd72baeaf533f35e036",
  ],
  [
    "group1-shard13of138.bin",
    1048576,
    "28cb9ed5094b73e74ab5f80292e5bd1dc03c0a1930df1a14d53eaab3e1f5aba0",
  ],
  [
    "group1-shard14of138.bin",
    1048576,
    "0cd8d60aeb1ffc93f18d781fa03b61b73174a88c9a6680a6c6f57c014328c9f4",
  ],
  [
    "group1-shard15of138.bin",
    1048576,
    "5c147b8aa536957022abe3e122352a7952c3d56a12aeb3bb18751bf595cec822",
  ],
  [
    "group1-shard16of138.bin",
    1048576,
    "80ea6169a921b5a8dcfd3109c8ac6517cdce5750ebda5e88ac8577ddba46c96f",
  ],
  [
    "group1-shard17of138.bin",
    1048576,
    "2c3eecc55de1dcac2fcbb7e0f7064804ea71b68df03a77e2ccfbb9f6eb3fd15e",
  ],
  [
    "group1-shard18of138.bin",
    1048576,
    "018b2eb3ea60f067fbe8c036cddf194acd3f8d06adf29b349a6d76cf82a0d7ef",
  ],
  [
    "group1-shard19of138.bin",
    1048576,
    "d5fb21c5cdedb4b4407fd34e0994ee58d25f4ea6163230dfd1944481431ff5bc",
  ],
  [
    "group1-shard20of138.bin",
    1048576,
    "c83cb283499ef039d8079bf3317dbad59806413c6b36d99c9af0747bd62ebe73",
  ],
  ["model_notop.json", 19787, "1d5604e3173dba9a1cfb457194be403c3ea7b39dab5d995d92632824c6425a5f"],
];

const VGG19_FLOAT32_PARTIAL: Listing = [
  ["model/model.json", 20659, "0a55a4ea97c30cdcee63cc614e9f2d41f43ea4f0a9554bb151e742cbfd59c256"],
  [
    "model/group1-shard1of1",
    7168,
    "c68eefa00d6af917fc28b127b756e48597c25cc11144b38fdf8ea65753c197e1",
  ],
  [
    "model/group2-shard1of1",
    147712,
    "a0e2bb4fbef5e0ce3d8e2fbc6f903c713c9893a0aa2e26c687b0b5758c6af079",
  ],
  [
    "model/group3-shard1of1",
    295424,
    "71a6dbaa06d7e454db3e56d6d2eb5f2defd8b60cccd5af5fc8a6b773be1c5aa5",
  ],
  [
    "model/group4-shard1of1",
    590336,
    "ab1d44f13a37e4af119cc56c7e9a4f8ab4ba281019cb057737d5e2f47dae2268",
  ],
  [
    "model/group5-shard1of1",
    1180672,
    "df21209f6d1a0bfd90a17eb705fbb9b520ece764914a067b0d94cefe99a43318",
  ],
  [
    "model/group6-shard1of1",
    2360320,
    "3b44315d503e5f24957aef369df5e89a1d54fdcbd78e93c93df560d1ff0ba11d",
  ],
  [
    "model/group7-shard1of1",
    2360320,
    "f94ad0c1d2fcb380fe57649a0764a25e7602a436efb8767ce65faf28964f10d0",
  ],
  [
    "model/group8-shard1of1",
    2360320,
    "f0dc43a70868cb7edce398eac3422b45fb93333c2e6c274f89adc969c37791ee",
  ],
  [
    "model/group9-shard2of2",
    526336,
    "684b77cd4bdf77a8c823a1b2ca3d53810c8d3c3227519f3df87e689c51829ab4",
  ],
];

const GATYS: Listing = [
  ["tubingen.jpg", 406531, "e67d1869f01fd805385c681a80d9ebcf0f70ea4a5fe6127f0606bb1c7f4bf506"],
  ["shipwreck.jpg", 144730, "4f7cf34e3cd4a5daaf3f421f059ca9a01aaa2a3afd7243d6670c9c8bc001a213"],
  ["starry_night.jpg", 315236, "0592ab0f7b51b3ce72608a95e53880bd93971e5b48f93a0ce8dfd3cbccf3d098"],
  ["the_scream.jpg", 216723, "f3075cddeb974a9ee1d6418f7f33fd05185a7ac7dcb4288bd2805d499a9dcaee"],
  ["seated-nude.jpg", 101993, "f398757cfb5346842c3bc309ca65d03381b38b1f5f8d7c60abe68a804a405cf1"],
  [
    "composition_vii.jpg",
    202426,
    "8f992ed4aecd6dd56972d7bc8166761de7c94e670ee6effa8fd05f3daeb33409",
  ],
];

type Provenance = Omit<ExternalFileInfo, "bytes" | "sha256" | "download">;

/** The folder of jcjohnson/fast-neural-style that holds composition_vii.jpg. */
const FAST_NEURAL_STYLE_STYLES = "https://github.com/jcjohnson/fast-neural-style/tree/" +
  "813c83441953ead2adb3f65f4cc2d5599d735fa7/images/styles";

const NEURAL_STYLE_INPUTS =
  "https://github.com/jcjohnson/neural-style/tree/07c4b8299f8fbdafec0c514fc820ff1d7ff62e46/examples/inputs";

const PAINTING_COPY =
  "copy from jcjohnson/neural-style examples/inputs (the repository states no " +
  "licence for its images)";

const GATYS_PROVENANCE: Record<string, Provenance> = {
  "tubingen.jpg": {
    description: "Neckarfront in Tübingen, photo by Andreas Praefcke (content image of the paper)",
    publisher: `Andreas Praefcke, Wikimedia Commons; ${PAINTING_COPY}`,
    url: "https://commons.wikimedia.org/wiki/File:Tuebingen_Neckarfront.jpg",
    licence: 'CC BY 3.0 Unported: credit "Andreas Praefcke, CC BY 3.0"',
    redistributable: true,
  },
  "shipwreck.jpg": {
    description: "J. M. W. Turner, The Shipwreck of the Minotaur (1805/1810)",
    publisher: `J. M. W. Turner; ${PAINTING_COPY}`,
    url: NEURAL_STYLE_INPUTS,
    licence: "public domain (artist died 1851)",
    redistributable: true,
  },
  "starry_night.jpg": {
    description: "Vincent van Gogh, The Starry Night (1889)",
    publisher: `Vincent van Gogh; ${PAINTING_COPY}`,
    url: NEURAL_STYLE_INPUTS,
    licence: "public domain (artist died 1890)",
    redistributable: true,
  },
  "the_scream.jpg": {
    description: "Edvard Munch, The Scream (1893)",
    publisher: `Edvard Munch; ${PAINTING_COPY}`,
    url: NEURAL_STYLE_INPUTS,
    licence: "public domain (artist died 1944)",
    redistributable: true,
  },
  "seated-nude.jpg": {
    description: "Pablo Picasso, Femme nue assise (1909–10)",
    publisher: `Pablo Picasso; ${PAINTING_COPY}`,
    url: NEURAL_STYLE_INPUTS,
    licence: "NOT public domain (© Succession Picasso, artist died 1973): use at run time only; " +
      "never commit or publish it or images made from it",
    redistributable: false,
  },
  "composition_vii.jpg": {
    description: "Wassily Kandinsky, Composition VII (1913)",
    publisher: "Wassily Kandinsky; copy from jcjohnson/fast-neural-style images/styles",
    url: FAST_NEURAL_STYLE_STYLES,
    licence: "public domain (artist died 1944)",
    redistributable: true,
  },
};

const VGG19_UINT8_PROVENANCE: Provenance = {
  description:
    "VGG19 ImageNet weights (Keras Applications), TF.js layers model, uint8-quantized; " +
    "model_notop.json lists the 16 conv layers in shards 1–20",
  publisher: "azertat/tfjs_models (TF.js conversion of the Keras VGG19 weights, which port " +
    "Oxford VGG's VGG_ILSVRC_19_layers, Simonyan & Zisserman 2014)",
  url: "https://github.com/azertat/tfjs_models/tree/3c14b35a1b5037c331fe01da1b00d2d3bb09bba9/" +
    "models/little_shards",
  licence: "weights: CC BY 4.0 (Oxford VGG); the conversion's repository states no licence",
  redistributable: false,
};

const VGG19_FLOAT32_PROVENANCE: Provenance = {
  description: "VGG19 float32 TF.js model, partial (conv1_1 … conv3_4 complete): a reference",
  publisher: "DavidCai1993/vgg19-tensorflowjs-model (Keras VGG19 weights from Oxford VGG)",
  url: "https://github.com/DavidCai1993/vgg19-tensorflowjs-model/tree/" +
    "08d09052bc6258d3abdfa341850122fc4b746db6/model",
  licence: "repository MIT; weights CC BY 4.0 (Oxford VGG)",
  redistributable: false,
};

/**
 * The raw download address of `name` in a GitHub folder page pinned to a commit
 * (`https://github.com/<owner>/<repo>/tree/<commit>/<folder>` →
 * `https://raw.githubusercontent.com/<owner>/<repo>/<commit>/<folder>/<name>`).
 *
 * @example
 * ```ts
 * rawUrl("https://github.com/a/b/tree/" + "0".repeat(40) + "/m", "x.bin");
 * // "https://raw.githubusercontent.com/a/b/000…000/m/x.bin"
 * ```
 */
export function rawUrl(treeUrl: string, name: string): string {
  const m = /^https:\/\/github\.com\/([^/]+)\/([^/]+)\/tree\/([0-9a-f]{40})\/(.+?)\/?$/.exec(
    treeUrl,
  );
  if (!m) throw new Error(`rawUrl: ${treeUrl} is not a GitHub folder pinned to a commit`);
  return `https://raw.githubusercontent.com/${m[1]}/${m[2]}/${m[3]}/${m[4]}/${name}`;
}

function table(): Record<string, ExternalFileInfo> {
  const out: Record<string, ExternalFileInfo> = {};
  for (const [name, bytes, sha256] of VGG19_UINT8) {
    const provenance = name === "model_notop.json"
      ? {
        ...VGG19_UINT8_PROVENANCE,
        publisher: "derived from model.json for this course's data folder (conv layers only, " +
          "any input size); weights as model.json",
      }
      : VGG19_UINT8_PROVENANCE;
    const download = name === "model_notop.json"
      ? undefined
      : rawUrl(VGG19_UINT8_PROVENANCE.url, name);
    out[`vgg19_uint8_tfjs/${name}`] = { ...provenance, bytes, sha256, download };
  }
  for (const [name, bytes, sha256] of VGG19_FLOAT32_PARTIAL) {
    out[`vgg19_float32_partial_tfjs/${name}`] = { ...VGG19_FLOAT32_PROVENANCE, bytes, sha256 };
  }
  for (const [name, bytes, sha256] of GATYS) {
    const folder = name === "composition_vii.jpg" ? FAST_NEURAL_STYLE_STYLES : NEURAL_STYLE_INPUTS;
    out[`gatys/${name}`] = {
      ...GATYS_PROVENANCE[name],
      bytes,
      sha256,
      download: rawUrl(folder, name),
    };
  }
  return out;
}

/**
 * Every known external file, by its path relative to the external data folder, with its origin,
 * licence, size and sha256 (from `shared/data/SOURCES.md`).
 *
 * @example
 * ```ts
 * console.log(EXTERNAL_FILES["gatys/tubingen.jpg"].licence); // "CC BY 3.0 Unported: …"
 * ```
 */
export const EXTERNAL_FILES: Readonly<Record<string, Readonly<ExternalFileInfo>>> = table();

/** The folder of the VGG19 weights inside the external data folder. */
export const VGG19_FOLDER = "vgg19_uint8_tfjs";

/** The 21 published VGG19 files the course needs: `model.json` and shards 1–20 (the convolutions). */
export const VGG19_FILES: readonly string[] = Object.keys(EXTERNAL_FILES)
  .filter((key) => key.startsWith(`${VGG19_FOLDER}/`) && EXTERNAL_FILES[key].download);

/** The paper's six images (the photo and five paintings, the Picasso included). */
export const GATYS_FILES: readonly string[] = Object.keys(EXTERNAL_FILES)
  .filter((key) => key.startsWith("gatys/"));

/**
 * The images natural-image patches are cut from: the photo and the four public-domain paintings
 * (never the Picasso, which is not public domain).
 */
export const PATCH_FILES: readonly string[] = GATYS_FILES
  .filter((key) => EXTERNAL_FILES[key].redistributable);

/** Every file the course can fetch by itself (those with a download address): 27 files. */
export const FETCHABLE_FILES: readonly string[] = Object.keys(EXTERNAL_FILES)
  .filter((key) => EXTERNAL_FILES[key].download !== undefined);
