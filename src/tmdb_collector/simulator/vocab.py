"""Word lists the simulated catalog draws names, titles and labels from."""

FIRST_NAMES = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy "
    "Matthew Betty Anthony Margaret Mark Sandra Aki Kaija Sofia Lucia Marco Giulia Hans Greta "
    "Pierre Amélie Jean Claire Yuki Hiroshi Akira Mei Wei Li Raj Priya Arjun Ananya Olga Ivan "
    "Dmitri Natalia Carlos Ana Diego Camila Lars Ingrid Sven Astrid Kwame Amara Chidi Zainab "
    "Omar Leila Tariq Nadia Seo-yeon Min-jun Ji-woo Bruce Frank Christian Tom Meryl Cate "
    "Idris"
).split()

LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Kaurismäki Rossi Russo Ferrari Müller Schmidt Schneider Fischer Dubois "
    "Moreau Laurent Tanaka Suzuki Takahashi Watanabe Wang Zhang Liu Chen Patel Sharma Singh "
    "Kumar Ivanov Petrov Sokolov Silva Santos Oliveira Pereira Andersson Johansson Nielsen "
    "Hansen Mensah Okafor Adeyemi Haddad Khalil Kim Park Choi Jung Willis Sinatra Bale Hanks "
    "Streep Elba"
).split()

TITLE_WORDS = (
    "Night Day Dark Knight Rises Falls Last First Lost Found City River Mountain Sea Star "
    "Stars Shadow Light Fire Ice Storm Silent Secret Hidden Broken Golden Silver Iron Glass "
    "Blood Heart Soul Dream Dreams Road Home Winter Summer Autumn Spring Garden House Room "
    "Door Window Bridge Tower Island Desert Forest Wolf Fox Bird Dragon Ghost Angel Devil "
    "King Queen Prince Empire Kingdom War Peace Love Time Memory Echo Return Rise Escape "
    "Journey Promise Lie Truth Game Hunt Chase Run Ocean's Eleven Blondie Pride Tale Story"
).split()

CHARACTER_ROLES = (
    "Himself",
    "Herself",
    "Narrator",
    "(voice)",
    "Detective",
    "Doctor",
    "Nurse",
    "Officer",
    "Waitress",
    "Bartender",
    "Reporter",
    "Teacher",
    "Student",
    "Soldier",
    "Captain",
    "Sheriff",
    "Priest",
    "Driver",
    "Guard",
    "Stranger",
    "Neighbor",
)

GENRES = (
    (28, "Action"),
    (12, "Adventure"),
    (16, "Animation"),
    (35, "Comedy"),
    (80, "Crime"),
    (99, "Documentary"),
    (18, "Drama"),
    (10751, "Family"),
    (14, "Fantasy"),
    (36, "History"),
    (27, "Horror"),
    (10402, "Music"),
    (9648, "Mystery"),
    (10749, "Romance"),
    (878, "Science Fiction"),
    (10770, "TV Movie"),
    (53, "Thriller"),
    (10752, "War"),
    (37, "Western"),
)

COUNTRIES = (
    ("US", "United States of America"),
    ("GB", "United Kingdom"),
    ("FR", "France"),
    ("DE", "Germany"),
    ("IT", "Italy"),
    ("JP", "Japan"),
    ("IN", "India"),
    ("KR", "South Korea"),
    ("FI", "Finland"),
    ("BR", "Brazil"),
    ("NG", "Nigeria"),
    ("CN", "China"),
)

LANGUAGES = (
    ("en", "English", "English"),
    ("fr", "French", "Français"),
    ("de", "German", "Deutsch"),
    ("it", "Italian", "Italiano"),
    ("ja", "Japanese", "日本語"),
    ("hi", "Hindi", "हिन्दी"),
    ("ko", "Korean", "한국어/조선말"),
    ("fi", "Finnish", "suomi"),
    ("pt", "Portuguese", "Português"),
    ("es", "Spanish", "Español"),
    ("zh", "Mandarin", "普通话"),
)

COMPANY_WORDS = ("Pictures Films Studios Entertainment Productions Media Cinema Works").split()

KEYWORDS = (
    "airplane, based on comic, superhero, sequel, heist, revenge, friendship, small town,, "
    "coming of age, dystopia, time travel, road trip, biography, courtroom, prison escape,, "
    "high school, serial killer, world war ii, space, survival, family relationships, prison"
).split(", ")

# department -> jobs, TMDb's own labels
CREW_JOBS = {
    "Directing": ("Director", "Assistant Director", "Script Supervisor"),
    "Writing": ("Screenplay", "Writer", "Story", "Novel", "Characters"),
    "Production": ("Producer", "Executive Producer", "Casting", "Line Producer"),
    "Camera": ("Director of Photography", "Camera Operator", "Still Photographer"),
    "Editing": ("Editor", "Assistant Editor", "Colorist"),
    "Sound": ("Original Music Composer", "Sound Designer", "Supervising Sound Editor"),
    "Art": ("Production Design", "Art Direction", "Set Decoration"),
    "Costume & Make-Up": ("Costume Design", "Makeup Artist", "Hairstylist"),
    "Visual Effects": ("Visual Effects Supervisor", "VFX Artist", "Animation Supervisor"),
    "Crew": ("Stunts", "Stunt Coordinator", "Driver"),
    "Lighting": ("Gaffer", "Lighting Technician", "Best Boy Electric"),
}

PLACES = (
    "Hoboken, New Jersey, USA",
    "London, England, UK",
    "Paris, France",
    "Helsinki, Finland",
    "Tokyo, Japan",
    "Mumbai, India",
    "Seoul, South Korea",
    "Lagos, Nigeria",
    "São Paulo, Brazil",
    "Rome, Italy",
)

TV_GENRES = (
    (10759, "Action & Adventure"),
    (16, "Animation"),
    (35, "Comedy"),
    (80, "Crime"),
    (99, "Documentary"),
    (18, "Drama"),
    (10751, "Family"),
    (10762, "Kids"),
    (9648, "Mystery"),
    (10763, "News"),
    (10764, "Reality"),
    (10765, "Sci-Fi & Fantasy"),
    (10766, "Soap"),
    (10767, "Talk"),
    (10768, "War & Politics"),
    (37, "Western"),
)

NETWORK_WORDS = ("TV Channel Network Broadcasting One Plus Streaming Television").split()

EPISODE_TYPES = ("standard", "finale", "mid_season")
