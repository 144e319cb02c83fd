<?php
// What the tests do to the site, through WordPress's own functions:
//   php tool.php install                      wp_install(), /%postname%/, America/New_York
//   php tool.php seed JSON                    wp_insert_post() for each {title, content, status, type, date, category}
//   php tool.php stamp ID LOCAL GMT           set post_modified/_gmt (what a save at that moment writes)
//   php tool.php edit ID JSON                 wp_update_post() with the fields given
// Every command prints one JSON value.
define('WP_INSTALLING', $argv[1] === 'install');
if ($argv[1] === 'install') {
    // wp_install() mails the admin; there is no mailer here (the function is pluggable).
    function wp_new_blog_notification($blog_title, $blog_url, $user_id, $password) {}
}
require __DIR__ . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/taxonomy.php';  // wp_create_category()

function stamp($id, $local, $gmt) {
    global $wpdb;
    // wp_update_post() always writes the current time into post_modified; a save at
    // another moment (a bulk edit, a migration, the repeated hour of a DST change) is
    // what the columns would hold, so they are written directly.
    $wpdb->update($wpdb->posts, ['post_modified' => $local, 'post_modified_gmt' => $gmt],
                  ['ID' => (int) $id]);
    clean_post_cache((int) $id);
}

$command = $argv[1];
if ($command === 'install') {
    require_once ABSPATH . 'wp-admin/includes/upgrade.php';
    wp_install('Monitor Test Site', 'admin', 'admin@example.org', true, '', wp_generate_password());
    update_option('permalink_structure', '/%postname%/');
    update_option('timezone_string', 'America/New_York');
    update_option('gmt_offset', '');
    wp_delete_post(1, true);  // "Hello world!": the seed decides what the posts are
    flush_rewrite_rules(false);
    echo json_encode(['ok' => true]), "\n";
} elseif ($command === 'seed') {
    $ids = [];
    foreach (json_decode(file_get_contents($argv[2]), true) as $post) {
        $category = $post['category'] ?? null;
        $fields = [
            'post_title' => $post['title'],
            'post_content' => $post['content'],
            'post_status' => $post['status'] ?? 'publish',
            'post_type' => $post['type'] ?? 'post',
            'post_author' => 1,
        ];
        if (isset($post['date'])) {
            $fields['post_date'] = $post['date'];
        }
        if ($category !== null) {
            $fields['post_category'] = [wp_create_category($category)];
        }
        $id = wp_insert_post($fields, true);
        if (is_wp_error($id)) {
            fwrite(STDERR, $id->get_error_message() . "\n");
            exit(1);
        }
        if (isset($post['modified'])) {
            stamp($id, $post['modified'][0], $post['modified'][1]);
        }
        $ids[] = $id;
    }
    echo json_encode($ids), "\n";
} elseif ($command === 'stamp') {
    stamp($argv[2], $argv[3], $argv[4]);
    echo json_encode(['ok' => true]), "\n";
} elseif ($command === 'edit') {
    $fields = json_decode($argv[3], true);
    $fields['ID'] = (int) $argv[2];
    $id = wp_update_post($fields, true);
    echo json_encode(is_wp_error($id) ? ['error' => $id->get_error_message()] : ['id' => $id]), "\n";
} else {
    fwrite(STDERR, "unknown command $command\n");
    exit(2);
}
