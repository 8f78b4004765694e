axum_logto::scopes! {
    pub Bad = "read\tdocs";
}

fn main() {}
