/**
 * The 1000 ImageNet-1k (ILSVRC 2012) class labels in the standard class-index order: the order of
 * the published BagNet checkpoints' `fc` rows, of torchvision's models and of Keras'
 * `imagenet_class_index.json`. Labels are Keras' short WordNet names with `_` shown as a space
 * (index 0 'tench', 207 'golden retriever', 281 'tabby', 999 'toilet tissue'). Two names repeat in
 * that list and are kept as they are: 'crane' (134, the bird; 517, the machine) and 'maillot'
 * (638, 639).
 *
 * One line per ten classes; the comment gives the index of the first.
 */
const DECADES: readonly string[] = [
  'tench|goldfish|great white shark|tiger shark|hammerhead|electric ray|stingray|cock|hen|ostrich', // 0
  'brambling|goldfinch|house finch|junco|indigo bunting|robin|bulbul|jay|magpie|chickadee', // 10
  'water ouzel|kite|bald eagle|vulture|great grey owl|European fire salamander|common newt|eft|spotted salamander|axolotl', // 20
  'bullfrog|tree frog|tailed frog|loggerhead|leatherback turtle|mud turtle|terrapin|box turtle|banded gecko|common iguana', // 30
  'American chameleon|whiptail|agama|frilled lizard|alligator lizard|Gila monster|green lizard|African chameleon|Komodo dragon|African crocodile', // 40
  'American alligator|triceratops|thunder snake|ringneck snake|hognose snake|green snake|king snake|garter snake|water snake|vine snake', // 50
  'night snake|boa constrictor|rock python|Indian cobra|green mamba|sea snake|horned viper|diamondback|sidewinder|trilobite', // 60
  'harvestman|scorpion|black and gold garden spider|barn spider|garden spider|black widow|tarantula|wolf spider|tick|centipede', // 70
  'black grouse|ptarmigan|ruffed grouse|prairie chicken|peacock|quail|partridge|African grey|macaw|sulphur-crested cockatoo', // 80
  'lorikeet|coucal|bee eater|hornbill|hummingbird|jacamar|toucan|drake|red-breasted merganser|goose', // 90
  'black swan|tusker|echidna|platypus|wallaby|koala|wombat|jellyfish|sea anemone|brain coral', // 100
  'flatworm|nematode|conch|snail|slug|sea slug|chiton|chambered nautilus|Dungeness crab|rock crab', // 110
  'fiddler crab|king crab|American lobster|spiny lobster|crayfish|hermit crab|isopod|white stork|black stork|spoonbill', // 120
  'flamingo|little blue heron|American egret|bittern|crane|limpkin|European gallinule|American coot|bustard|ruddy turnstone', // 130
  'red-backed sandpiper|redshank|dowitcher|oystercatcher|pelican|king penguin|albatross|grey whale|killer whale|dugong', // 140
  'sea lion|Chihuahua|Japanese spaniel|Maltese dog|Pekinese|Shih-Tzu|Blenheim spaniel|papillon|toy terrier|Rhodesian ridgeback', // 150
  'Afghan hound|basset|beagle|bloodhound|bluetick|black-and-tan coonhound|Walker hound|English foxhound|redbone|borzoi', // 160
  'Irish wolfhound|Italian greyhound|whippet|Ibizan hound|Norwegian elkhound|otterhound|Saluki|Scottish deerhound|Weimaraner|Staffordshire bullterrier', // 170
  'American Staffordshire terrier|Bedlington terrier|Border terrier|Kerry blue terrier|Irish terrier|Norfolk terrier|Norwich terrier|Yorkshire terrier|wire-haired fox terrier|Lakeland terrier', // 180
  'Sealyham terrier|Airedale|cairn|Australian terrier|Dandie Dinmont|Boston bull|miniature schnauzer|giant schnauzer|standard schnauzer|Scotch terrier', // 190
  'Tibetan terrier|silky terrier|soft-coated wheaten terrier|West Highland white terrier|Lhasa|flat-coated retriever|curly-coated retriever|golden retriever|Labrador retriever|Chesapeake Bay retriever', // 200
  'German short-haired pointer|vizsla|English setter|Irish setter|Gordon setter|Brittany spaniel|clumber|English springer|Welsh springer spaniel|cocker spaniel', // 210
  'Sussex spaniel|Irish water spaniel|kuvasz|schipperke|groenendael|malinois|briard|kelpie|komondor|Old English sheepdog', // 220
  'Shetland sheepdog|collie|Border collie|Bouvier des Flandres|Rottweiler|German shepherd|Doberman|miniature pinscher|Greater Swiss Mountain dog|Bernese mountain dog', // 230
  'Appenzeller|EntleBucher|boxer|bull mastiff|Tibetan mastiff|French bulldog|Great Dane|Saint Bernard|Eskimo dog|malamute', // 240
  'Siberian husky|dalmatian|affenpinscher|basenji|pug|Leonberg|Newfoundland|Great Pyrenees|Samoyed|Pomeranian', // 250
  'chow|keeshond|Brabancon griffon|Pembroke|Cardigan|toy poodle|miniature poodle|standard poodle|Mexican hairless|timber wolf', // 260
  'white wolf|red wolf|coyote|dingo|dhole|African hunting dog|hyena|red fox|kit fox|Arctic fox', // 270
  'grey fox|tabby|tiger cat|Persian cat|Siamese cat|Egyptian cat|cougar|lynx|leopard|snow leopard', // 280
  'jaguar|lion|tiger|cheetah|brown bear|American black bear|ice bear|sloth bear|mongoose|meerkat', // 290
  'tiger beetle|ladybug|ground beetle|long-horned beetle|leaf beetle|dung beetle|rhinoceros beetle|weevil|fly|bee', // 300
  'ant|grasshopper|cricket|walking stick|cockroach|mantis|cicada|leafhopper|lacewing|dragonfly', // 310
  'damselfly|admiral|ringlet|monarch|cabbage butterfly|sulphur butterfly|lycaenid|starfish|sea urchin|sea cucumber', // 320
  'wood rabbit|hare|Angora|hamster|porcupine|fox squirrel|marmot|beaver|guinea pig|sorrel', // 330
  'zebra|hog|wild boar|warthog|hippopotamus|ox|water buffalo|bison|ram|bighorn', // 340
  'ibex|hartebeest|impala|gazelle|Arabian camel|llama|weasel|mink|polecat|black-footed ferret', // 350
  'otter|skunk|badger|armadillo|three-toed sloth|orangutan|gorilla|chimpanzee|gibbon|siamang', // 360
  'guenon|patas|baboon|macaque|langur|colobus|proboscis monkey|marmoset|capuchin|howler monkey', // 370
  'titi|spider monkey|squirrel monkey|Madagascar cat|indri|Indian elephant|African elephant|lesser panda|giant panda|barracouta', // 380
  'eel|coho|rock beauty|anemone fish|sturgeon|gar|lionfish|puffer|abacus|abaya', // 390
  'academic gown|accordion|acoustic guitar|aircraft carrier|airliner|airship|altar|ambulance|amphibian|analog clock', // 400
  'apiary|apron|ashcan|assault rifle|backpack|bakery|balance beam|balloon|ballpoint|Band Aid', // 410
  'banjo|bannister|barbell|barber chair|barbershop|barn|barometer|barrel|barrow|baseball', // 420
  'basketball|bassinet|bassoon|bathing cap|bath towel|bathtub|beach wagon|beacon|beaker|bearskin', // 430
  'beer bottle|beer glass|bell cote|bib|bicycle-built-for-two|bikini|binder|binoculars|birdhouse|boathouse', // 440
  'bobsled|bolo tie|bonnet|bookcase|bookshop|bottlecap|bow|bow tie|brass|brassiere', // 450
  'breakwater|breastplate|broom|bucket|buckle|bulletproof vest|bullet train|butcher shop|cab|caldron', // 460
  "candle|cannon|canoe|can opener|cardigan|car mirror|carousel|carpenter's kit|carton|car wheel", // 470
  'cash machine|cassette|cassette player|castle|catamaran|CD player|cello|cellular telephone|chain|chainlink fence', // 480
  'chain mail|chain saw|chest|chiffonier|chime|china cabinet|Christmas stocking|church|cinema|cleaver', // 490
  'cliff dwelling|cloak|clog|cocktail shaker|coffee mug|coffeepot|coil|combination lock|computer keyboard|confectionery', // 500
  'container ship|convertible|corkscrew|cornet|cowboy boot|cowboy hat|cradle|crane|crash helmet|crate', // 510
  'crib|Crock Pot|croquet ball|crutch|cuirass|dam|desk|desktop computer|dial telephone|diaper', // 520
  'digital clock|digital watch|dining table|dishrag|dishwasher|disk brake|dock|dogsled|dome|doormat', // 530
  'drilling platform|drum|drumstick|dumbbell|Dutch oven|electric fan|electric guitar|electric locomotive|entertainment center|envelope', // 540
  'espresso maker|face powder|feather boa|file|fireboat|fire engine|fire screen|flagpole|flute|folding chair', // 550
  'football helmet|forklift|fountain|fountain pen|four-poster|freight car|French horn|frying pan|fur coat|garbage truck', // 560
  'gasmask|gas pump|goblet|go-kart|golf ball|golfcart|gondola|gong|gown|grand piano', // 570
  'greenhouse|grille|grocery store|guillotine|hair slide|hair spray|half track|hammer|hamper|hand blower', // 580
  'hand-held computer|handkerchief|hard disc|harmonica|harp|harvester|hatchet|holster|home theater|honeycomb', // 590
  "hook|hoopskirt|horizontal bar|horse cart|hourglass|iPod|iron|jack-o'-lantern|jean|jeep", // 600
  'jersey|jigsaw puzzle|jinrikisha|joystick|kimono|knee pad|knot|lab coat|ladle|lampshade', // 610
  'laptop|lawn mower|lens cap|letter opener|library|lifeboat|lighter|limousine|liner|lipstick', // 620
  'Loafer|lotion|loudspeaker|loupe|lumbermill|magnetic compass|mailbag|mailbox|maillot|maillot', // 630
  'manhole cover|maraca|marimba|mask|matchstick|maypole|maze|measuring cup|medicine chest|megalith', // 640
  'microphone|microwave|military uniform|milk can|minibus|miniskirt|minivan|missile|mitten|mixing bowl', // 650
  'mobile home|Model T|modem|monastery|monitor|moped|mortar|mortarboard|mosque|mosquito net', // 660
  'motor scooter|mountain bike|mountain tent|mouse|mousetrap|moving van|muzzle|nail|neck brace|necklace', // 670
  'nipple|notebook|obelisk|oboe|ocarina|odometer|oil filter|organ|oscilloscope|overskirt', // 680
  'oxcart|oxygen mask|packet|paddle|paddlewheel|padlock|paintbrush|pajama|palace|panpipe', // 690
  'paper towel|parachute|parallel bars|park bench|parking meter|passenger car|patio|pay-phone|pedestal|pencil box', // 700
  'pencil sharpener|perfume|Petri dish|photocopier|pick|pickelhaube|picket fence|pickup|pier|piggy bank', // 710
  'pill bottle|pillow|ping-pong ball|pinwheel|pirate|pitcher|plane|planetarium|plastic bag|plate rack', // 720
  "plow|plunger|Polaroid camera|pole|police van|poncho|pool table|pop bottle|pot|potter's wheel", // 730
  'power drill|prayer rug|printer|prison|projectile|projector|puck|punching bag|purse|quill', // 740
  'quilt|racer|racket|radiator|radio|radio telescope|rain barrel|recreational vehicle|reel|reflex camera', // 750
  'refrigerator|remote control|restaurant|revolver|rifle|rocking chair|rotisserie|rubber eraser|rugby ball|rule', // 760
  'running shoe|safe|safety pin|saltshaker|sandal|sarong|sax|scabbard|scale|school bus', // 770
  'schooner|scoreboard|screen|screw|screwdriver|seat belt|sewing machine|shield|shoe shop|shoji', // 780
  'shopping basket|shopping cart|shovel|shower cap|shower curtain|ski|ski mask|sleeping bag|slide rule|sliding door', // 790
  'slot|snorkel|snowmobile|snowplow|soap dispenser|soccer ball|sock|solar dish|sombrero|soup bowl', // 800
  'space bar|space heater|space shuttle|spatula|speedboat|spider web|spindle|sports car|spotlight|stage', // 810
  'steam locomotive|steel arch bridge|steel drum|stethoscope|stole|stone wall|stopwatch|stove|strainer|streetcar', // 820
  'stretcher|studio couch|stupa|submarine|suit|sundial|sunglass|sunglasses|sunscreen|suspension bridge', // 830
  'swab|sweatshirt|swimming trunks|swing|switch|syringe|table lamp|tank|tape player|teapot', // 840
  'teddy|television|tennis ball|thatch|theater curtain|thimble|thresher|throne|tile roof|toaster', // 850
  'tobacco shop|toilet seat|torch|totem pole|tow truck|toyshop|tractor|trailer truck|tray|trench coat', // 860
  'tricycle|trimaran|tripod|triumphal arch|trolleybus|trombone|tub|turnstile|typewriter keyboard|umbrella', // 870
  'unicycle|upright|vacuum|vase|vault|velvet|vending machine|vestment|viaduct|violin', // 880
  'volleyball|waffle iron|wall clock|wallet|wardrobe|warplane|washbasin|washer|water bottle|water jug', // 890
  'water tower|whiskey jug|whistle|wig|window screen|window shade|Windsor tie|wine bottle|wing|wok', // 900
  'wooden spoon|wool|worm fence|wreck|yawl|yurt|web site|comic book|crossword puzzle|street sign', // 910
  'traffic light|book jacket|menu|plate|guacamole|consomme|hot pot|trifle|ice cream|ice lolly', // 920
  'French loaf|bagel|pretzel|cheeseburger|hotdog|mashed potato|head cabbage|broccoli|cauliflower|zucchini', // 930
  'spaghetti squash|acorn squash|butternut squash|cucumber|artichoke|bell pepper|cardoon|mushroom|Granny Smith|strawberry', // 940
  'orange|lemon|fig|pineapple|banana|jackfruit|custard apple|pomegranate|hay|carbonara', // 950
  'chocolate sauce|dough|meat loaf|pizza|potpie|burrito|red wine|espresso|cup|eggnog', // 960
  'alp|bubble|cliff|coral reef|geyser|lakeside|promontory|sandbar|seashore|valley', // 970
  "volcano|ballplayer|groom|scuba diver|rapeseed|daisy|yellow lady's slipper|corn|acorn|hip", // 980
  'buckeye|coral fungus|agaric|gyromitra|stinkhorn|earthstar|hen-of-the-woods|bolete|ear|toilet tissue', // 990
];

/** ImageNet-1k labels by class index (1000 entries). */
export const IMAGENET_LABELS: readonly string[] = Object.freeze(DECADES.join('|').split('|'));
