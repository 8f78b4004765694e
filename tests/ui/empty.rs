axum_logto::scopes! {
    pub Bad = "";
}

fn main() {}
