axum_logto::scopes! {
    pub Bad = "lire:é";
}

fn main() {}
